"""The member's forms: the reply (回答) and a question (質問)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from circulation.forms.base import AccessibleForm
from circulation.models import Reply

MEETING_CHOICES = [("yes", _("審議が必要")), ("no", _("審議は不要"))]


class ReplyForm(AccessibleForm):
    kind = forms.ChoiceField(
        label=_("回答"),
        choices=Reply.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("「意見なし」か「意見あり」を選んでください。")},
    )
    opinion = forms.CharField(
        label=_("意見"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("「意見あり」の場合に入力してください。"),
    )
    meeting_needed = forms.ChoiceField(
        label=_("審議すべき重要事項の有無"),
        choices=MEETING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("「審議が必要」か「審議は不要」を選んでください。")},
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    @classmethod
    def for_reply(cls, reply: Reply | None) -> ReplyForm:
        """An unbound form showing the member's current reply, ready to be changed."""
        if reply is None:
            return cls(initial={"base_version": 0})
        meeting = {True: "yes", False: "no"}.get(reply.meeting_needed)
        return cls(
            initial={
                "kind": reply.kind,
                "opinion": reply.opinion,
                "meeting_needed": meeting,
                "base_version": reply.version,
            }
        )

    def rebased(self, version: int) -> ReplyForm:
        """The same typed data on top of another stored version (after a conflict)."""
        data = self.data.copy()
        data["base_version"] = str(version)
        form = type(self)(data)
        form.is_valid()
        return form

    def reply_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "opinion": data["opinion"],
            "meeting_needed": data["meeting_needed"] == "yes",
            "base_version": data["base_version"],
        }


class QuestionForm(AccessibleForm):
    text = forms.CharField(
        label=_("質問"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("質問と回答は送付先の委員全員に表示されます。"),
    )
