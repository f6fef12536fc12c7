"""Forms of the portal's own pages: membership management and invitation acceptance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Membership, Quorum, Role, User
from portal.services.errors import Refused
from portal.services.membership import default_term_end


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PortalForm(forms.Form):
    """Labels without Django's trailing colon, which reads oddly in Japanese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def show_refusal(form: forms.Form, refusal: Refused) -> None:
    """Put a service's refusal next to the field it concerns (or above the form)."""
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, str(refusal.message))


def _check_term(form: forms.Form, start_field: str = "term_start") -> None:
    start = form.cleaned_data.get(start_field)
    end = form.cleaned_data.get("term_end")
    if start and end and end < start:
        form.add_error("term_end", _("任期終了日は任期開始日より後の日付にしてください。"))


class InviteMemberForm(PortalForm):
    full_name = forms.CharField(label=_("氏名"), max_length=100)
    email = forms.EmailField(label=_("メールアドレス"), max_length=254)
    role = forms.ChoiceField(label=_("役割"), choices=Role.choices, initial=Role.MEMBER)
    term_start = forms.DateField(label=_("任期開始"), widget=DateInput())
    term_end = forms.DateField(
        label=_("任期終了"),
        required=False,
        widget=DateInput(),
        help_text=_("任期は通常2年間です。空欄にすると終了日を定めません(事務局の職員など)。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["term_start"].initial = today
        self.fields["term_end"].initial = default_term_end(today)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_term(self)
        return data


class ChangeRoleForm(PortalForm):
    prefix = "role"
    role = forms.ChoiceField(label=_("新しい役割"), choices=Role.choices)
    effective = forms.DateField(
        label=_("変更日"),
        widget=DateInput(),
        help_text=_("この日から新しい役割になります。それまでの記録は元の役割のまま残ります。"),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = membership.role
        self.fields["effective"].initial = max(timezone.localdate(), membership.term_start)


class EndTermForm(PortalForm):
    prefix = "end"
    term_end = forms.DateField(
        label=_("任期終了日(最後の在任日)"),
        widget=DateInput(),
        help_text=_("この日の翌日からは、書面照会の送付先に含まれません。"),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["term_end"].initial = max(timezone.localdate(), membership.term_start)


class ReappointForm(PortalForm):
    prefix = "reappoint"
    role = forms.ChoiceField(label=_("役割"), choices=Role.choices)
    term_start = forms.DateField(label=_("新しい任期の開始日"), widget=DateInput())
    term_end = forms.DateField(label=_("新しい任期の終了日"), widget=DateInput())

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start = (membership.term_end or timezone.localdate()) + dt.timedelta(days=1)
        self.fields["role"].initial = membership.role
        self.fields["term_start"].initial = start
        self.fields["term_end"].initial = default_term_end(start)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_term(self)
        return data


class ChairAbsenceForm(PortalForm):
    absent = forms.TypedChoiceField(
        choices=[("1", _("不在")), ("0", _("在任"))], coerce=lambda value: value == "1"
    )


class AcceptInvitationForm(PortalForm):
    full_name = forms.CharField(
        label=_("氏名"),
        max_length=100,
        help_text=_("書面照会や通知で表示されるお名前です。違っていれば直してください。"),
    )
    password1 = forms.CharField(
        label=_("パスワード(任意)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "設定しなくても、ログインのたびにメールで届くログインコードでログインできます。"
            "設定する場合は10文字以上にしてください。"
        ),
    )
    password2 = forms.CharField(
        label=_("パスワード(確認)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["full_name"].initial = user.full_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, second = data.get("password1", ""), data.get("password2", "")
        if first or second:
            if first != second:
                self.add_error("password2", _("確認用のパスワードが一致しません。"))
            else:
                try:
                    validate_password(first, self.user)
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        return data


# Reminder moments the secretariat can pick, in hours before the deadline.
REMINDER_CHOICES_HOURS = (168, 120, 72, 48, 24, 12)


def _reminder_label(hours: int) -> str:
    if hours % 24 == 0:
        return gettext("%(days)s日前") % {"days": hours // 24}
    return gettext("%(hours)s時間前") % {"hours": hours}


class CommitteeSettingsForm(PortalForm):
    """審議会の設定: when members who have not replied are reminded, when the chair is."""

    reminder_offsets_hours = forms.TypedMultipleChoiceField(
        label=_("督促の時期(回答期限の前)"),
        help_text=_("未回答の委員に督促メールを送る時期です。選ばなければ督促は送りません。"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    chair_reminder_days = forms.IntegerField(
        label=_("会長への督促(締切後の日数)"),
        help_text=_(
            "締切後この日数が過ぎても開催の要否が決まらないとき、会長に督促します(1〜30日)。"
        ),
        min_value=1,
        max_value=30,
        error_messages={
            "required": _("日数を入力してください。"),
            "invalid": _("日数は数字で入力してください。"),
            "min_value": _("1日以上を入力してください。"),
            "max_value": _("30日以下を入力してください。"),
        },
    )
    reminder_now_interval_hours = forms.IntegerField(
        label=_("「未回答の委員に督促する」の間隔(時間)"),
        help_text=_(
            "事務局が回答状況の画面から今すぐ督促できるのは、この時間に1回までです(1〜168時間)。"
        ),
        min_value=1,
        max_value=168,
        error_messages={
            "required": _("時間を入力してください。"),
            "invalid": _("時間は数字で入力してください。"),
            "min_value": _("1時間以上を入力してください。"),
            "max_value": _("168時間以下を入力してください。"),
        },
    )
    show_member_names = forms.BooleanField(
        label=_("質問者の氏名を委員に表示する"),
        help_text=_(
            "表示しない場合、委員が見る質疑と審議結果では、ほかの委員の氏名が「委員」と表示されます(事務局・会長・職務代理者には常に表示されます)。"
        ),
        required=False,
    )

    contact_department = forms.CharField(
        label=_("事務局の担当部署"),
        help_text=_(
            "すべてのメールの末尾に、問い合わせ先として表示します(例: 市民課 住民記録係)。"
        ),
        max_length=100,
        required=False,
    )
    contact_phone = forms.CharField(
        label=_("事務局の電話番号"),
        max_length=40,
        required=False,
        validators=[
            RegexValidator(
                r"^[0-9０-９+()（）\-‐－ー 内線ext.]*$",
                _("電話番号は数字とハイフンで入力してください。"),
            )
        ],
    )
    contact_email = forms.EmailField(
        label=_("事務局のメールアドレス"),
        required=False,
        error_messages={"invalid": _("メールアドレスの形式が正しくありません。")},
    )
    material_link_days = forms.IntegerField(
        label=_("資料のリンクの有効期間(決定後の日数)"),
        help_text=_(
            "通知メールの資料のリンクは、ログインせずに資料を開けます。回答期限を過ぎても開催の要否が決まるまで使え、決定後はこの日数が過ぎると使えなくなります(0〜365日)。"
        ),
        min_value=0,
        max_value=365,
        error_messages={
            "required": _("日数を入力してください。"),
            "invalid": _("日数は数字で入力してください。"),
            "min_value": _("0日以上を入力してください。"),
            "max_value": _("365日以下を入力してください。"),
        },
    )
    attach_materials = forms.BooleanField(
        label=_("資料を通知メールに添付する"),
        help_text=_("添付する場合も、資料の合計が上限を超えるときはリンクでお送りします。"),
        required=False,
    )
    attachment_limit_mb = forms.IntegerField(
        label=_("添付する資料の合計の上限(MB)"),
        min_value=1,
        max_value=20,
        error_messages={
            "required": _("上限を入力してください。"),
            "invalid": _("上限は数字で入力してください。"),
            "min_value": _("1MB以上を入力してください。"),
            "max_value": _("20MB以下を入力してください。"),
        },
    )
    quorum = forms.ChoiceField(
        label=_("会議の定足数"),
        choices=Quorum.choices,
        required=False,
        help_text=_("会議のページで、出欠から定足数を満たすかを示すのに使います。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("quorum"):
            data.pop("quorum", None)  # not posted (an older page): left as it is
        return data

    def __init__(self, *args: Any, current: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A moment set earlier (in the admin) that is not among the usual ones stays offered.
        hours = sorted({*REMINDER_CHOICES_HOURS, *(current or [])}, reverse=True)
        field = self.fields["reminder_offsets_hours"]
        field.choices = [(value, _reminder_label(value)) for value in hours]  # type: ignore[attr-defined]
