"""The secretariat's smaller forms: extend the deadline, correct a material, answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..uploads import CheckedUpload, UploadRefused, check_upload
from .base import AccessibleForm, date_field, japan_moment, time_field


class ExtendDeadlineForm(AccessibleForm):
    deadline_date = date_field()
    deadline_time = time_field()
    reason = forms.CharField(
        label=_("理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("委員へのお知らせに載ります。"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("deadline_date") and data.get("deadline_time"):
            data["deadline"] = japan_moment(data["deadline_date"], data["deadline_time"])
        return data


class CorrectMaterialForm(AccessibleForm):
    file = forms.FileField(label=_("資料ファイル"))
    title = forms.CharField(label=_("資料名"), max_length=200)
    change_note = forms.CharField(
        label=_("訂正の内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("何を直したかを書いてください。資料を開いた委員・回答済みの委員に届きます。"),
    )

    checked: CheckedUpload | None = None

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            self.checked = check_upload(upload)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return upload


class AnswerForm(AccessibleForm):
    text = forms.CharField(
        label=pgettext_lazy("Q&A", "回答"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("回答は送付先の委員全員に表示され、メールでも届きます。"),
    )
