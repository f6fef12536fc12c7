"""The secretariat's smaller forms: extend the deadline, correct a material, answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import User

from ..upload_stash import describe, stash, unstash
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
    """The corrected file, its title and what changed. An accepted file is kept between
    submissions (circulation/upload_stash.py, as the draft form does): browsers cannot refill
    a file input, so a missing note must not cost the secretariat the file."""

    file = forms.FileField(label=_("資料ファイル"))
    title = forms.CharField(label=_("資料名"), max_length=200)
    change_note = forms.CharField(
        label=_("訂正の内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("何を直したかを書いてください。資料を開いた委員・回答済みの委員に届きます。"),
    )
    kept = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.checked: CheckedUpload | None = None
        self.kept_token = ""
        self.kept_name = ""
        self.kept_size = 0
        if self.is_bound and self.data.get("kept"):
            self.fields["file"].required = False  # the kept file stands in for the input

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload:
            try:
                self.checked = check_upload(upload)
            except UploadRefused as refused:
                raise forms.ValidationError(str(refused)) from None
            self.kept_name, self.kept_size = self.checked.original_name, self.checked.size
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        token = data.get("kept")
        if self.checked is None and token and "file" not in self.errors:
            info = describe(token, self.user)
            if info is None:
                self.add_error(
                    "file", _("前回選んだファイルを確認できません。もう一度選んでください。")
                )
            else:
                self.kept_token, self.kept_name, self.kept_size = token, info["name"], info["size"]
        return data

    def keep(self) -> None:
        """Stash a freshly uploaded, accepted file so the re-shown form still holds it."""
        if self.checked is not None and not self.kept_token:
            self.kept_token = stash(self.checked, self.user)

    def upload(self) -> CheckedUpload:
        """The accepted file: the one just uploaded, else the kept one."""
        upload = self.checked or unstash(self.kept_token, self.user)
        if upload is None:  # expired between clean() and now; clean() reported it
            raise ValueError("kept file disappeared")
        return upload


class AnswerForm(AccessibleForm):
    text = forms.CharField(
        label=pgettext_lazy("Q&A", "回答"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("回答は送付先の委員全員に表示され、メールでも届きます。"),
    )
