"""Forms of consultations (諮問): registering, the member's vote per item, the chair's
result, the meeting's result and statements, the report and the riders' responses, and the
council's rules. Forms parse and check input; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.forms.base import AccessibleForm, date_field, japan_moment, time_field
from circulation.forms.drafts import DraftForm, initial_for
from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    ConsultationRules,
    ItemVote,
    Result,
    Statement,
    Vote,
)
from circulation.reads.consultation_tally import ItemTally
from circulation.services.consultation_results import (
    RiderDraft,
    StatementDraft,
    why_not_allowed,
)
from circulation.services.consultations import ConsultationContent, body_staff_choices
from circulation.services.reports import RiderEdit
from circulation.services.votes import ItemChoice
from portal.models import Committee, Role, User

VOTE_CHOICES = [(value, label) for value, label in Vote.choices]


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name


class ConsultationForm(DraftForm):
    """The circulation's draft (件名, 回答期限, 送付先) and what a consultation adds."""

    number = forms.IntegerField(
        label=_("諮問番号"), min_value=1, max_value=99999, help_text=_("諮問第N号の N です。")
    )
    department = forms.CharField(
        label=_("実施機関"),
        max_length=200,
        help_text=_("例: 市民生活部 中央地域センター"),
        error_messages={"required": _("実施機関を入力してください。")},
    )
    received_on = date_field(_("諮問日"))
    reason = forms.CharField(
        label=_("諮問理由"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("諮問理由を入力してください。")},
    )
    items = forms.CharField(
        label=_("議題"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("1行に1件ずつ書いてください。委員は議題ごとに賛否を表明します。"),
        error_messages={"required": _("議題を1つ以上入力してください。")},
    )

    def __init__(
        self,
        *args: Any,
        committee: Committee,
        circulation: Circulation | None = None,
        **kwargs: Any,
    ) -> None:
        if circulation is not None and "initial" not in kwargs:
            kwargs["initial"] = _initial(circulation)
        super().__init__(*args, committee=committee, circulation=circulation, **kwargs)
        seats = body_staff_choices(committee, timezone.localdate())
        self.fields["staff"] = StaffChoiceField(
            label=_("実施機関の担当者"),
            queryset=User.objects.filter(pk__in=[m.user_id for m in seats]),
            widget=forms.CheckboxSelectMultiple,
            required=False,
            help_text=_(
                "質問に回答し、資料を追加し、付言の対応状況を登録する人です"
                "(この審議会で実施機関の役割を持つ人)。賛否や意見は見えません。"
            ),
        )
        # The draft's fields first, then the consultation's, in reading order.
        order = ["number", "title", "department", "staff", "received_on", "reason", "items"]
        self.order_fields(order + [name for name in self.fields if name not in order])

    def consultation_content(self) -> ConsultationContent:
        data = self.cleaned_data
        return ConsultationContent(
            number=data["number"],
            department=data["department"],
            staff_ids=[user.pk for user in data["staff"]],
            received_on=data["received_on"],
            reason=data["reason"],
            items=data["items"].splitlines(),
        )


def _initial(circulation: Circulation) -> dict[str, Any]:
    consultation = circulation.consultation
    return {
        **initial_for(circulation),
        "number": consultation.number,
        "department": consultation.department,
        "staff": list(consultation.staff.values_list("pk", flat=True)),
        "received_on": consultation.received_on,
        "reason": consultation.reason,
        "items": "\n".join(item.text for item in consultation.items.all()),
    }


# --- The member's vote ------------------------------------------------------------------------


class VoteForm(AccessibleForm):
    """Per item: 承認 / 不承認 / 保留, an opinion and a proposed rider (both optional)."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, items: list[ConsultationItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"vote_{item.pk}"] = forms.ChoiceField(
                label=_("議題%(order)sの賛否") % {"order": item.order},
                choices=VOTE_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"opinion_{item.pk}"] = forms.CharField(
                label=_("意見"),
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"rider_{item.pk}"] = forms.CharField(
                label=_("付言の提案"),
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_(
                    "答申に付け加えるべきことがあれば書いてください(会長が採否を決めます)。"
                ),
            )

    def clean(self) -> dict[str, Any]:
        """Each error on the vote it concerns (the service checks the same again)."""
        data = super().clean()
        chosen = False
        for item in self.items:
            vote = data.get(f"vote_{item.pk}")
            chosen = chosen or bool(vote)
            typed = data.get(f"opinion_{item.pk}") or data.get(f"rider_{item.pk}")
            if typed and not vote:
                self.add_error(
                    f"vote_{item.pk}",
                    _("議題%(order)sの賛否(承認・不承認・保留)を選んでください。")
                    % {"order": item.order},
                )
        if not chosen and self.items and not self.errors:
            self.add_error(
                f"vote_{self.items[0].pk}", _("少なくとも1つの議題について賛否を選んでください。")
            )
        return data

    @classmethod
    def for_votes(
        cls, items: list[ConsultationItem], votes: dict[int, ItemVote], version: int
    ) -> VoteForm:
        initial: dict[str, Any] = {"base_version": version}
        for item_id, vote in votes.items():
            initial[f"vote_{item_id}"] = vote.vote
            initial[f"opinion_{item_id}"] = vote.opinion
            initial[f"rider_{item_id}"] = vote.proposed_rider
        return cls(items=items, initial=initial)

    def rows(self) -> list[dict[str, Any]]:
        """The fields of each item, for the template."""
        return [
            {
                "item": item,
                "vote": self[f"vote_{item.pk}"],
                "opinion": self[f"opinion_{item.pk}"],
                "rider": self[f"rider_{item.pk}"],
            }
            for item in self.items
        ]

    def choices(self) -> list[ItemChoice]:
        data = self.cleaned_data
        return [
            ItemChoice(
                item.pk,
                data.get(f"vote_{item.pk}") or "",
                data.get(f"opinion_{item.pk}") or "",
                data.get(f"rider_{item.pk}") or "",
            )
            for item in self.items
        ]

    def rebased(self, version: int) -> VoteForm:
        data = self.data.copy()
        data["base_version"] = str(version)
        form = type(self)(data, items=self.items)
        form.is_valid()
        return form


# --- The chair's result of a written vote ------------------------------------------------------


class ResultForm(AccessibleForm):
    """Per item the result (only what the rules allow), the riders to adopt — the members'
    proposals, each with its wording as the chair edits it, and new ones — and the reasons."""

    reasons = forms.CharField(
        label=_("答申の理由"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("答申に記載されます。"),
        error_messages={"required": _("答申の理由を入力してください。")},
    )

    NEW_RIDERS = 2

    def __init__(self, *args: Any, tallies: list[ItemTally], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tallies = tallies
        self.proposals: list[ItemVote] = []
        for tally in tallies:
            proposal = tally.proposal
            self.fields[f"item_{tally.item.pk}"] = forms.ChoiceField(
                label=_("議題%(order)sの結果") % {"order": tally.item.order},
                choices=[(v, Result(v).label) for v in proposal.allowed()],
                widget=forms.RadioSelect,
                initial=proposal.result if not proposal.tie else None,
                error_messages={
                    "required": _("結果を選んでください。"),
                    # A page shown before the vote changed (or a hand-made post).
                    "invalid_choice": why_not_allowed(tally.item, Result.APPROVED, proposal)
                    if not proposal.quorum_met
                    else why_not_allowed(tally.item, "-", proposal),
                },
            )
            for row in tally.voted:
                if row.vote.proposed_rider:
                    self.proposals.append(row.vote)
                    self.fields[f"adopt_{row.vote.pk}"] = forms.BooleanField(
                        label=_("この付言を採用する"), required=False
                    )
                    self.fields[f"adopt_text_{row.vote.pk}"] = forms.CharField(
                        label=_("答申に記載する付言"),
                        required=False,
                        max_length=4000,
                        initial=row.vote.proposed_rider,
                        widget=forms.Textarea(attrs={"rows": 3}),
                    )
        for n in range(1, self.NEW_RIDERS + 1):
            self.fields[f"new_rider_{n}"] = forms.CharField(
                label=_("付言(新規 %(n)s)") % {"n": n},
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{t.item.pk}"] for t in self.tallies]

    def proposal_rows(self) -> list[tuple[ItemVote, forms.BoundField, forms.BoundField]]:
        """Each member's proposed rider: the vote, "adopt" and the wording to adopt."""
        return [(v, self[f"adopt_{v.pk}"], self[f"adopt_text_{v.pk}"]) for v in self.proposals]

    def new_rider_fields(self) -> list[forms.BoundField]:
        return [self[f"new_rider_{n}"] for n in range(1, self.NEW_RIDERS + 1)]

    def results(self) -> dict[int, str]:
        return {t.item.pk: self.cleaned_data.get(f"item_{t.item.pk}", "") for t in self.tallies}

    def riders(self) -> list[RiderDraft]:
        data = self.cleaned_data
        adopted = [
            RiderDraft(data.get(f"adopt_text_{vote.pk}") or vote.proposed_rider, vote.pk)
            for vote in self.proposals
            if data.get(f"adopt_{vote.pk}")
        ]
        new = [RiderDraft(data.get(f"new_rider_{n}") or "") for n in range(1, self.NEW_RIDERS + 1)]
        return adopted + new


class ReopenForm(AccessibleForm):
    """期限を延長 after a close without quorum: a new deadline and the reason."""

    deadline_date = date_field(_("新しい回答期限"))
    deadline_time = time_field()
    reason = forms.CharField(
        label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def deadline(self) -> dt.datetime:
        return japan_moment(self.cleaned_data["deadline_date"], self.cleaned_data["deadline_time"])


# --- The meeting's result, its statements, the report -----------------------------------------


class MeetingResultForm(AccessibleForm):
    reasons = ResultForm.base_fields["reasons"]
    NEW_RIDERS = 3

    def __init__(self, *args: Any, items: list[ConsultationItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=_("議題%(order)sの結果") % {"order": item.order},
                choices=Result.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("結果を選んでください。")},
            )
        for n in range(1, self.NEW_RIDERS + 1):
            self.fields[f"rider_{n}"] = forms.CharField(
                label=_("付言 %(n)s") % {"n": n},
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{item.pk}"] for item in self.items]

    def rider_fields(self) -> list[forms.BoundField]:
        return [self[f"rider_{n}"] for n in range(1, self.NEW_RIDERS + 1)]

    def results(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data.get(f"item_{item.pk}", "") for item in self.items}

    def riders(self) -> list[RiderDraft]:
        return [
            RiderDraft(self.cleaned_data.get(f"rider_{n}") or "")
            for n in range(1, self.NEW_RIDERS + 1)
        ]


SPEAKER_ROLES = [
    (Role.MEMBER.value, Role.MEMBER.label),
    (Role.IMPLEMENTING_BODY.value, Role.IMPLEMENTING_BODY.label),
    (Role.CHAIR.value, Role.CHAIR.label),
    (Role.ACTING_CHAIR.value, Role.ACTING_CHAIR.label),
    (Role.SECRETARIAT.value, Role.SECRETARIAT.label),
]


class StatementForm(AccessibleForm):
    section = forms.ChoiceField(label=_("区分"), choices=Statement.Section.choices)
    speaker_role = forms.ChoiceField(label=_("発言者"), choices=SPEAKER_ROLES)
    speaker = forms.TypedChoiceField(
        label=_("氏名(記録する場合)"), coerce=int, required=False, empty_value=None
    )
    text = forms.CharField(
        label=_("発言"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["speaker"].choices = [("", _("(記録しない)")), *people]

    def draft(self) -> StatementDraft | None:
        data = self.cleaned_data
        if not data.get("text", "").strip():
            return None
        return StatementDraft(
            data["section"], data["speaker_role"], data["text"], data.get("speaker")
        )


def statement_formset(
    data: Any = None, *, people: list[tuple[int, str]], extra: int = 6
) -> forms.BaseFormSet:
    formset_class = forms.formset_factory(StatementForm, extra=extra, max_num=30, absolute_max=30)
    return formset_class(data, prefix="statement", form_kwargs={"people": people})


class ReportEditForm(AccessibleForm):
    """The riders (付言) and reasons of the report before it is issued."""

    reasons = ResultForm.base_fields["reasons"]
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    NEW_RIDERS = 2

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = list(consultation.riders.all())
        for rider in self.existing:
            self.fields[f"rider_{rider.pk}"] = forms.CharField(
                label=_("付言 %(n)s") % {"n": rider.order},
                required=False,
                max_length=4000,
                initial=rider.text,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"remove_{rider.pk}"] = forms.BooleanField(
                label=_("この付言を削除する"), required=False
            )
        for n in range(1, self.NEW_RIDERS + 1):
            self.fields[f"new_rider_{n}"] = forms.CharField(
                label=_("付言(新規 %(n)s)") % {"n": n},
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def rider_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"rider_{r.pk}"], self[f"remove_{r.pk}"]) for r in self.existing]

    def new_rider_fields(self) -> list[forms.BoundField]:
        return [self[f"new_rider_{n}"] for n in range(1, self.NEW_RIDERS + 1)]

    def edits(self) -> list[RiderEdit]:
        data = self.cleaned_data
        edits = [
            RiderEdit(
                rider.pk, data.get(f"rider_{rider.pk}") or "", bool(data.get(f"remove_{rider.pk}"))
            )
            for rider in self.existing
        ]
        edits += [
            RiderEdit(None, data.get(f"new_rider_{n}") or "") for n in range(1, self.NEW_RIDERS + 1)
        ]
        return edits


class IssueForm(AccessibleForm):
    report_date = date_field(_("答申日"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RiderResponseForm(AccessibleForm):
    text = forms.CharField(
        label=_("対応状況"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("対応状況を入力してください。")},
    )
    responded_on = date_field(_("対応日"))
    done = forms.BooleanField(
        label=_("対応済み"),
        required=False,
        help_text=_("対応が完了した場合にチェックしてください。付言は未対応の一覧から外れます。"),
    )

    def clean_responded_on(self) -> dt.date:
        day = self.cleaned_data["responded_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("対応日は今日以前の日付にしてください。"))
        return day


class RulesForm(forms.ModelForm):
    """審議会の設定: the council's rules for consultations."""

    class Meta:
        model = ConsultationRules
        fields = [
            "quorum",
            "abstain",
            "majority",
            "chair_casting_vote",
            "report_addressee",
            "rider_reminder_months",
        ]
        widgets = {
            "quorum": forms.RadioSelect,
            "abstain": forms.RadioSelect,
            "majority": forms.RadioSelect,
        }
        help_texts = {
            "report_addressee": _("答申の宛先(実施機関の長)。例: 長崎市長 様"),
            "rider_reminder_months": _(
                "答申の付言に、この月数のあいだ対応状況の登録がないとき、実施機関に督促します"
                "(0 にすると督促しません)。"
            ),
        }

    def full_clean(self) -> None:
        super().full_clean()
        AccessibleForm.mark_errors(self)  # the same aria marks as every form here

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
