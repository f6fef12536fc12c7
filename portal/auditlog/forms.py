"""Forms of the audit pages: the log's filters and the review (ログ確認) record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.auditlog.services import Criteria, people_of
from portal.models import Committee, LogReview, User


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})"


class AuditFilterForm(forms.Form):
    committee = forms.ModelChoiceField(
        label=_("審議会"),
        queryset=Committee.objects.none(),
        required=False,
        empty_label=_("すべて"),
    )
    person = PersonChoiceField(
        label=_("操作者"), queryset=User.objects.none(), required=False, empty_label=_("すべて")
    )
    action = forms.CharField(
        label=_("操作"),
        required=False,
        max_length=100,
        help_text=_("操作名の先頭で絞り込みます(例: circulation. で書面照会の操作すべて)。"),
    )
    date_from = forms.DateField(label=_("開始日"), required=False, widget=DateInput())
    date_to = forms.DateField(
        label=_("終了日"),
        required=False,
        widget=DateInput(),
        help_text=_("日付は日本時間です。終了日の終わりまでを含みます。"),
    )

    def __init__(self, *args: Any, committees: Sequence[Committee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = Committee.objects.filter(
            pk__in=[c.pk for c in committees]
        )
        self.fields["person"].queryset = people_of(committees).order_by("full_name")
        self.fields["action"].widget.attrs["list"] = "audit-actions"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("終了日は開始日以降の日付にしてください。"))
        return data

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            committee=data.get("committee"),
            person=data.get("person"),
            action=(data.get("action") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class LogReviewForm(forms.Form):
    period_start = forms.DateField(label=_("確認した期間の開始日"), widget=DateInput())
    period_end = forms.DateField(label=_("確認した期間の終了日"), widget=DateInput())
    result = forms.ChoiceField(
        label=_("確認の結果"), choices=LogReview.Result.choices, widget=forms.RadioSelect
    )
    findings = forms.CharField(
        label=_("所見"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("確認した内容、気づいた点、対応したことを書いてください。"),
    )
