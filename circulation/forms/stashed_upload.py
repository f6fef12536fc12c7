"""A form's one file that is kept across the form being shown again (upload_stash.py): a
file accepted once is not asked for again when something else on the form is wrong."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from circulation.uploads.checks import CheckedUpload, UploadRefused, check_upload
from circulation.uploads.stash import describe, stash, unstash
from portal.models import User

STASHED_FILE_GONE = _("前回選んだファイルを確認できません。もう一度選んでください。")


class KeptUploadMixin:
    """For a form with a `file` field and a hidden `stash` field; call `start_stashing(user)`
    from `__init__`, then `accept_upload` / `accept_stashed` while cleaning."""

    user: User
    checked: CheckedUpload | None
    stash_token: str
    stashed_name: str
    stashed_size: int

    def start_stashing(self, user: User) -> None:
        self.user = user
        self.checked = None
        self.stash_token, self.stashed_name, self.stashed_size = "", "", 0

    def accept_upload(self, upload: Any) -> None:
        """Check a freshly uploaded file; raises ValidationError with the reason if refused."""
        try:
            self.checked = check_upload(upload)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        self.stashed_name, self.stashed_size = self.checked.original_name, self.checked.size

    def accept_stashed(self, token: str) -> None:
        """Take the file kept from an earlier showing; ValidationError if it is gone."""
        info = describe(token, self.user)
        if info is None:
            raise forms.ValidationError(STASHED_FILE_GONE)
        self.stash_token, self.stashed_name, self.stashed_size = token, info["name"], info["size"]

    def clean_stashed_file(self, data: dict[str, Any], missing: str = "") -> None:
        """From `clean()`: the uploaded file, else the kept one, else `missing` (if given) as
        the file field's error; a refused or vanished file is the field's error too."""
        upload, token = data.get("file"), data.get("stash")
        try:
            if upload:
                self.accept_upload(upload)
            elif token:
                self.accept_stashed(token)
            elif missing:
                raise forms.ValidationError(missing)
        except forms.ValidationError as refused:
            self.add_error("file", refused)  # type: ignore[attr-defined]

    @property
    def has_file(self) -> bool:
        return bool(self.checked or self.stash_token)

    def keep(self) -> None:
        """Stash a freshly uploaded, accepted file so the re-shown form still holds it."""
        if self.checked is not None and not self.stash_token:
            self.stash_token = stash(self.checked, self.user)

    def upload(self) -> CheckedUpload:
        """The accepted file: the one just uploaded, else the kept one."""
        upload = self.checked or unstash(self.stash_token, self.user)
        if upload is None:  # expired between clean() and now; clean() reported it
            raise ValueError("kept file disappeared")
        return upload
