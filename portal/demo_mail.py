"""Reading the .eml files that the demo's mail backend writes (portal/mail_backends.py).

Only names that the backend could have written are accepted, and only files directly inside
settings.KAIRAN_MAIL_DIR: a name can never reach another file on the machine.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings

# The backend's names look like 20260901-100000-123456-1a2b3c4d.eml; allow any plain name
# of letters, digits, '-' and '_' that ends in .eml (no dots before it, so no '..').
_NAME = re.compile(r"[A-Za-z0-9_-]{1,200}\.eml")
LIST_LIMIT = 500  # the newest messages shown; the folder itself keeps everything


@dataclass(frozen=True)
class MailSummary:
    name: str
    date: dt.datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Mail:
    name: str
    date: dt.datetime | None
    headers: list[tuple[str, str]]
    subject: str
    text: str
    html: str
    attachments: list[Attachment]


def mail_dir() -> Path:
    return Path(settings.KAIRAN_MAIL_DIR)


def mail_file(name: str) -> Path | None:
    """The file for a name from a URL, or None if the name is not one of ours."""
    if not _NAME.fullmatch(name):
        return None
    folder = mail_dir().resolve()
    path = (folder / name).resolve()  # a symlink pointing elsewhere resolves elsewhere
    if path.parent != folder or not path.is_file():
        return None
    return path


def list_mail(limit: int = LIST_LIMIT) -> list[MailSummary]:
    """The newest messages first (the backend's names start with the time of sending)."""
    folder = mail_dir()
    if not folder.is_dir():
        return []
    paths = [path for path in folder.iterdir() if mail_file(path.name) is not None]
    paths.sort(key=lambda path: (path.stat().st_mtime, path.name), reverse=True)
    return [_summary(path) for path in paths[:limit]]


def read_mail(path: Path) -> Mail:
    message = _parse(path.read_bytes())
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return Mail(
        name=path.name,
        date=_date(message),
        headers=[(key, str(value)) for key, value in message.items()],
        subject=str(message.get("Subject", "")),
        text=_content(text_part),
        html=_content(html_part),
        attachments=[
            Attachment(
                filename=part.get_filename() or "",
                content_type=part.get_content_type(),
                size=len(part.get_payload(decode=True) or b""),
            )
            for part in message.iter_attachments()
        ],
    )


def _summary(path: Path) -> MailSummary:
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle, headersonly=True)
    return MailSummary(
        name=path.name,
        date=_date(message),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
    )


def _parse(raw: bytes) -> EmailMessage:
    # policy.default decodes MIME encoded-words (=?utf-8?b?…?=) in headers into text.
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _date(message: EmailMessage) -> dt.datetime | None:
    raw = message.get("Date")
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError):
        return None
    # "-0000" (Python's formatdate in UTC) parses as naive: it means UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _content(part: EmailMessage | None) -> str:
    if part is None:
        return ""
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # an unknown charset: show what can be shown
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")
