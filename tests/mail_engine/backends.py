"""A mail backend for unit tests that answers like an SMTP server would: each message takes
the next scripted outcome (None = accepted), and every connection opened is counted."""

from __future__ import annotations

from collections.abc import Sequence

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.mail.message import EmailMessage


class ScriptedBackend(EmailBackend):
    script: list[BaseException | None] = []
    opened = 0
    per_address: dict[str, BaseException] = {}

    @classmethod
    def reset(cls) -> None:
        cls.script = []
        cls.opened = 0
        cls.per_address = {}

    def open(self) -> bool:
        type(self).opened += 1
        return True

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            refusal = type(self).per_address.get(message.to[0])
            if refusal is not None:
                raise refusal
            outcome = type(self).script.pop(0) if type(self).script else None
            if outcome is not None:
                raise outcome
        return super().send_messages(messages)


def sent_to() -> list[str]:
    return [message.to[0] for message in mail.outbox]
