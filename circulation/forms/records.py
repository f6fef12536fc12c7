"""Forms of the minutes written in Kairan (会議録) and of the public records (公開記録).

The minutes' passages are a formset (one row per passage: 審議結果 of an agenda item, one
speech of the 質疑 with its speaker's role, or free text; each may be marked 非公開 with
its reason), with empty rows at the end for new passages: no script needed. A row left
empty is dropped."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from circulation.forms.base import AccessibleForm, date_field, time_field
from circulation.models import MinutesPart
from circulation.reads.minutes import MinutesContent, PartInput
from circulation.services.minutes_drafts import REASON_MAX_LENGTH, TEXT_MAX_LENGTH
from portal.models import Role

# The roles as typed: 会長 …, or in English (chair, acting chair …) on the English pages.
_LABEL_TO_ROLE = {str(label): value for value, label in Role.choices} | {
    value.replace("_", " "): value for value in Role.values
}
_ROLE_TO_LABEL = {value: str(label) for value, label in Role.choices}


def people_text(people: list[dict[str, str]]) -> str:
    """One person a line: 「氏名 / 役割」 (役割 left out for a member)."""
    lines = []
    for p in people:
        role = p.get("role") or Role.MEMBER
        name = p.get("name", "")
        lines.append(name if role == Role.MEMBER else f"{name} / {_ROLE_TO_LABEL.get(role, role)}")
    return "\n".join(lines)


def parse_people(text: str) -> list[dict[str, str]]:
    people = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _sep, label = line.partition("/")
        role = _LABEL_TO_ROLE.get(label.strip().lower(), Role.MEMBER)
        people.append({"name": " ".join(name.split()), "role": role})
    return people


class MinutesHeaderForm(AccessibleForm):
    title = forms.CharField(label=_("会議名"), max_length=200)
    held = forms.CharField(
        label=_("日時"), max_length=200, help_text=_("例: 2026年12月3日(木) 14:00〜16:00")
    )
    place = forms.CharField(
        label=_("場所"), max_length=200, help_text=_("会場、ウェブ会議、または書面開催。")
    )
    attendees = forms.CharField(
        label=_("出席者"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("1行に1人。「氏名 / 会長」のように役割を書けます(書かなければ委員)。"
                    "公開記録では、審議会の設定により氏名か「委員」と人数で表示します。"),
    )  # fmt: skip
    absentees = forms.CharField(
        label=_("欠席者"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    agenda = forms.CharField(
        label=_("議題"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("1行に1項目。例: 3 会長選任"),
    )
    observers = forms.IntegerField(label=_("傍聴者数"), required=False, min_value=0)
    note = forms.CharField(
        label=_("修正の内容"), max_length=300, required=False,
        help_text=_("この版で何を直したか(版の一覧に載ります)。"),
    )  # fmt: skip
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PartForm(forms.Form):
    section = forms.ChoiceField(label=_("区分"), choices=MinutesPart.Section.choices)
    heading = forms.CharField(
        label=_("議題"), max_length=300, required=False,
        help_text=_("審議結果のときは、どの議題の結果か(例: 3 会長選任)。"),
    )  # fmt: skip
    speaker = forms.ChoiceField(
        label=_("発言者"), choices=MinutesPart.Speaker.choices, required=False
    )
    speaker_name = forms.CharField(
        label=_("発言者の氏名"), max_length=100, required=False,
        help_text=_("公開記録に委員の氏名を表示する設定のときだけ公開されます。"),
    )  # fmt: skip
    text = forms.CharField(
        label=_("内容"), max_length=TEXT_MAX_LENGTH, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    withheld = forms.BooleanField(label=_("この段落を非公開にする"), required=False)
    withheld_reason = forms.CharField(
        label=_("非公開の理由"), max_length=REASON_MAX_LENGTH, required=False,
        help_text=_("公開記録には、本文の代わりにこの理由が載ります。"),
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("withheld") and not (data.get("withheld_reason") or "").strip():
            self.add_error("withheld_reason", _("非公開にする段落には、理由を入力してください。"))
        return data

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("text") or "").strip() and not (data.get("heading") or "").strip()


PartFormSet = formset_factory(PartForm, extra=3, max_num=500, absolute_max=500)


def initial_of(content: MinutesContent, base_version: int) -> tuple[dict, list[dict]]:
    header = {
        "title": content.title, "held": content.held, "place": content.place,
        "attendees": people_text(content.attendees), "absentees": people_text(content.absentees),
        "agenda": content.agenda, "observers": content.observers, "base_version": base_version,
    }  # fmt: skip
    parts = [
        {"section": p.section, "heading": p.heading, "speaker": p.speaker,
         "speaker_name": p.speaker_name, "text": p.text, "withheld": p.withheld,
         "withheld_reason": p.withheld_reason}
        for p in content.parts
    ]  # fmt: skip
    return header, parts


def content_of(header: MinutesHeaderForm, parts: Any) -> MinutesContent:
    data = header.cleaned_data
    rows = [
        PartInput(
            section=f.cleaned_data["section"],
            text=f.cleaned_data.get("text") or "",
            heading=f.cleaned_data.get("heading") or "",
            speaker=f.cleaned_data.get("speaker") or "",
            speaker_name=f.cleaned_data.get("speaker_name") or "",
            withheld=bool(f.cleaned_data.get("withheld")),
            withheld_reason=f.cleaned_data.get("withheld_reason") or "",
        )
        for f in parts.forms
        if f.cleaned_data and not f.is_blank()
    ]
    return MinutesContent(
        title=data["title"], held=data["held"], place=data["place"],
        attendees=parse_people(data.get("attendees") or ""),
        absentees=parse_people(data.get("absentees") or ""),
        agenda=data.get("agenda") or "", observers=data.get("observers"), parts=rows,
        note=data.get("note") or "",
    )  # fmt: skip


class SendForCheckForm(AccessibleForm):
    deadline_date = date_field(_("確認の期限(日付)"))
    deadline_time = time_field(_("確認の期限(時刻)"))
    checkers = forms.TypedMultipleChoiceField(
        label=_("確認を依頼する出席者"), coerce=int, widget=forms.CheckboxSelectMultiple,
        required=False,
    )  # fmt: skip

    def __init__(self, *args: Any, candidates: list[tuple[int, str, bool]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["checkers"].choices = [(pk, name) for pk, name, _attended in candidates]
        if not self.is_bound:
            self.initial["checkers"] = [pk for pk, _name, attended in candidates if attended]


class CheckForm(AccessibleForm):
    comment = forms.CharField(
        label=_("意見"), required=False, max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("直してほしい箇所があれば書いてください。"),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReasonForm(AccessibleForm):
    reason = forms.CharField(
        label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("公開記録の更新履歴に載ります。"),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


class RecordSettingsForm(AccessibleForm):
    public_names = forms.BooleanField(
        label=_("公開記録に委員の氏名を表示する"),
        required=False,
        help_text=_("表示しないときは「委員」と書きます。"),
    )
    chair_confirms = forms.BooleanField(
        label=_("公開・訂正・取り下げに会長の確認を要する"), required=False
    )
    department = forms.CharField(label=_("担当所属名"), max_length=100, required=False)
