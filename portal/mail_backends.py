"""Embedded-default mail: each message becomes one .eml file under var/mail/ that a person
can open in any mail client or read at /demo/mail/ while the demo runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.KAIRAN_MAIL_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes(linesep="\r\n"))
            tmp.rename(folder / name)  # readers never see half a message
            sent += 1
        return sent
