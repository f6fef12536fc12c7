"""A mail backend for unit tests that answers like an SMTP server would: each message takes
the next scripted outcome (None = accepted), and every connection opened and closed is
counted."""

from __future__ import annotations

from collections.abc import Sequence

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.mail.message import EmailMessage


class ScriptedBackend(EmailBackend):
    script: list[BaseException | None] = []
    opened = 0
    closed = 0
    per_address: dict[str, BaseException] = {}

    @classmethod
    def reset(cls) -> None:
        cls.script = []
        cls.opened = 0
        cls.closed = 0
        cls.per_address = {}

    def open(self) -> bool:
        type(self).opened += 1
        return True

    def close(self) -> None:
        type(self).closed += 1

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


def queue_plain_mails(n: int, prefix: str = "member", purpose: str = "test.mail") -> list:
    """n plain outbox rows, to prefix0@example.jp, prefix1@example.jp, … (one transaction each
    unless the caller holds one)."""
    from circulation.mail.outbox import queue_rendered_mail

    return [
        queue_rendered_mail(
            purpose=purpose, to=f"{prefix}{i}@example.jp", subject="資料の送付", body_text="本文"
        )
        for i in range(n)
    ]
