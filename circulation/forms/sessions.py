"""Forms of sessions (会議): scheduling one on its own (第N回, title, agenda), the agenda,
a material, one's attendance answer, the record of the day and an election."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from circulation.forms.base import AccessibleForm
from circulation.forms.meetings import MeetingForm
from circulation.forms.stashed_upload import KeptUploadMixin
from circulation.models import AgendaItem, Attendance
from circulation.services.attendance import OBSERVERS_MAX
from circulation.services.sessions import TITLE_MAX_LENGTH, AgendaLine
from portal.models import Role, User

ANSWER_CHOICES = [
    (Attendance.Answer.ATTEND.value, Attendance.Answer.ATTEND.label),
    (Attendance.Answer.WEB.value, Attendance.Answer.WEB.label),
    (Attendance.Answer.ABSENT.value, Attendance.Answer.ABSENT.label),
]
EMPTY_AGENDA_ROWS = 3


class SessionForm(MeetingForm):
    number = forms.IntegerField(
        label=_("回"),
        required=False,
        min_value=1,
        help_text=_("第何回の会議か。例: 1(第1回)"),
    )
    title = forms.CharField(
        label=_("会議名"),
        max_length=TITLE_MAX_LENGTH,
        required=False,
        help_text=_("例: 令和8年度 第1回 情報公開・個人情報保護審議会"),
    )
    agenda = forms.CharField(
        label=_("議題"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "1行に1件。上から議題1、議題2…となります。書面照会や諮問との結びつけは、"
            "設定の後に「議題を編集する」から行えます。"
        ),
    )

    field_order = ["number", "title", "date", "start_time", "end_time", "place", "web_url"]

    def agenda_lines(self) -> list[AgendaLine]:
        text = self.cleaned_data.get("agenda", "")
        return [AgendaLine(line) for line in text.splitlines() if line.strip()]


class AgendaForm(AccessibleForm):
    """One text field and one link choice per item: the items there are and a few empty
    rows for new ones (no script needed)."""

    def __init__(
        self,
        *args: Any,
        items: list[AgendaItem],
        links: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows = len(items) + EMPTY_AGENDA_ROWS
        choices = [("", _("結びつけない(自由記述)")), *links]
        for index in range(1, self.rows + 1):
            item = items[index - 1] if index <= len(items) else None
            self.fields[f"text_{index}"] = forms.CharField(
                label=_("議題%(n)d") % {"n": index},
                required=False,
                max_length=300,
                initial=item.text if item else "",
            )
            link = ""
            if item and item.circulation_id:
                link = f"c{item.circulation_id}"
            elif item and item.consultation_id:
                link = f"k{item.consultation_id}"
            self.fields[f"link_{index}"] = forms.ChoiceField(
                label=_("議題%(n)dの書面照会・諮問") % {"n": index},
                required=False,
                choices=choices,
                initial=link,
            )

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"text_{i}"], self[f"link_{i}"]) for i in range(1, self.rows + 1)]

    def lines(self) -> list[AgendaLine]:
        lines = []
        for index in range(1, self.rows + 1):
            text = self.cleaned_data.get(f"text_{index}", "")
            link = self.cleaned_data.get(f"link_{index}", "")
            circulation = int(link[1:]) if link.startswith("c") else None
            consultation = int(link[1:]) if link.startswith("k") else None
            if text.strip() or link:
                lines.append(AgendaLine(text, circulation, consultation))
        return lines


class SessionMaterialForm(KeptUploadMixin, AccessibleForm):
    file = forms.FileField(label=_("資料ファイル"), required=False)
    title = forms.CharField(
        label=_("資料の名称"),
        max_length=TITLE_MAX_LENGTH,
        required=False,
        help_text=_("空欄ならファイル名とします。例: 諮問書(写し)"),
    )
    kept = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_keeping(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.clean_kept_file(data, _("資料のファイルを選んでください。"))
        return data


class AnswerForm(AccessibleForm):
    answer = forms.ChoiceField(
        label=_("出欠"),
        choices=ANSWER_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("出席・欠席・ウェブ参加のいずれかを選んでください。")},
    )


class RecordAttendanceForm(AccessibleForm):
    """A checkbox per invitee (checked: attended) and the number of observers."""

    observers = forms.IntegerField(
        label=_("傍聴者数"),
        required=False,
        min_value=0,
        max_value=OBSERVERS_MAX,
        help_text=_("傍聴者がいなければ 0。"),
    )

    def __init__(self, *args: Any, attendances: list[Attendance], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attendances = attendances
        for row in attendances:
            initial = row.attended if row.attended is not None else row.counts_present
            self.fields[f"attended_{row.user_id}"] = forms.BooleanField(
                label=row.user.full_name, required=False, initial=initial
            )

    def checkboxes(self) -> list[tuple[Attendance, forms.BoundField]]:
        return [(row, self[f"attended_{row.user_id}"]) for row in self.attendances]

    def attended(self) -> set[int]:
        return {
            row.user_id
            for row in self.attendances
            if self.cleaned_data.get(f"attended_{row.user_id}")
        }


class ElectionForm(AccessibleForm):
    role = forms.ChoiceField(
        label=_("役職"),
        choices=[
            (Role.CHAIR.value, Role.CHAIR.label),
            (Role.ACTING_CHAIR.value, Role.ACTING_CHAIR.label),
        ],
    )
    elected = forms.TypedChoiceField(label=_("選任された委員"), coerce=int)

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["elected"].choices = [(u.pk, u.full_name) for u in candidates]
