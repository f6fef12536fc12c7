"""Inbound mail: replies by mail become the member's reply (docs/mail-replies.md).

`receive_raw_message(raw, source=...)` is the one entry point of the MTA pipe
(`manage.py receive_mail`), the IMAP poll (`manage.py poll_imap`) and the demo
(`manage.py simulate_mail_reply`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from circulation.models import InboundMessage


def receive_raw_message(raw: bytes, *, source: str, **kwargs: Any) -> InboundMessage:
    from circulation.inbound.service import receive_raw_message as receive

    return receive(raw, source=source, **kwargs)
