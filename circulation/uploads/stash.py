"""Keeping accepted files while a form is shown again.

Browsers cannot refill a file input. When a draft form comes back with an error (a refused
file, a missing title, a second editor), the files that were accepted are kept here under a
server-generated name and the form carries a signed token for each, so nothing uploaded is
lost and nobody can point a token at somebody else's file.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction

from circulation.uploads.checks import CheckedUpload
from portal.models import User

_SALT = "kairan.upload-stash"
_MAX_AGE_SECONDS = 24 * 60 * 60


def stash(checked: CheckedUpload, user: User) -> str:
    """Store an accepted file for the next submission; returns its token."""
    checked.file.seek(0)
    path = default_storage.save(f"pending/{user.pk}/{uuid.uuid4().hex}", checked.file)
    checked.file.seek(0)
    return signing.dumps(
        {
            "path": path,
            "name": checked.original_name,
            "type": checked.content_type,
            "kind": checked.kind,
            "size": checked.size,
            "sha256": checked.sha256,
            "user": user.pk,
        },
        salt=_SALT,
    )


def describe(token: str, user: User) -> dict[str, Any] | None:
    """What the token stands for (name, size), or None if it is not this person's."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("user") != user.pk or not default_storage.exists(data["path"]):
        return None
    return data


def unstash(token: str, user: User) -> CheckedUpload | None:
    """The stashed file, opened, ready to be saved as a material."""
    data = describe(token, user)
    if data is None:
        return None
    return CheckedUpload(
        file=default_storage.open(data["path"], "rb"),
        original_name=data["name"],
        content_type=data["type"],
        kind=data["kind"],
        size=data["size"],
        sha256=data["sha256"],
        stash_path=data["path"],
    )


def forget_after_commit(checked: CheckedUpload) -> None:
    """Remove the stashed copy once the material holding it is committed."""
    if not checked.stash_path:
        return

    def remove() -> None:
        checked.file.close()
        default_storage.delete(checked.stash_path)

    transaction.on_commit(remove)


def save_checked(row: Any, upload: CheckedUpload) -> Any:
    """Describe the accepted file on `row` (a Material or MeetingMinutes: original name,
    type, size, SHA-256), write it under a server-generated name, save the row and drop the
    stashed copy once committed."""
    row.original_name = upload.original_name
    row.content_type = upload.content_type
    row.size = upload.size
    row.sha256 = upload.sha256
    upload.file.seek(0)
    row.file.save(upload.original_name, upload.file, save=False)
    row.save()
    forget_after_commit(upload)
    return row
