"""The secretariat's smaller forms: extend the deadline, correct a material, answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from circulation.forms.base import AccessibleForm, date_field, japan_moment, time_field
from circulation.forms.stashed_upload import KeptUploadMixin
from portal.models import User


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


class CorrectMaterialForm(KeptUploadMixin, AccessibleForm):
    """The corrected file, its title and what changed. An accepted file is kept between
    submissions (circulation/uploads/stash.py, as the draft form does): browsers cannot refill
    a file input, so a missing note must not cost the secretariat the file."""

    file = forms.FileField(label=_("資料ファイル"))
    title = forms.CharField(label=_("資料名"), max_length=200)
    change_note = forms.CharField(
        label=_("訂正の内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("何を直したかを書いてください。資料を開いた委員・回答済みの委員に届きます。"),
    )
    stash = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_stashing(user)
        if self.is_bound and self.data.get("stash"):
            self.fields["file"].required = False  # the kept file stands in for the input

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload:
            self.accept_upload(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        token = data.get("stash")
        if self.checked is None and token and "file" not in self.errors:
            try:
                self.accept_stashed(token)
            except forms.ValidationError as refused:
                self.add_error("file", refused)
        return data


# The one form of a page's answer fields (templates/circulation/secretariat/_answer_form.html).
ANSWER_FORM_ID = "qa-answers"


class AnswerForm(AccessibleForm):
    text = forms.CharField(
        label=pgettext_lazy("Q&A", "回答"),
        max_length=4000,
        # Outside its form, which holds only the session's CSRF token: the list of
        # questions around the fields is the same for every session, and is kept rendered.
        widget=forms.Textarea(attrs={"rows": 4, "form": ANSWER_FORM_ID}),
        help_text=_("回答は送付先の委員全員に表示され、メールでも届きます。"),
    )
