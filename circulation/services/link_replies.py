"""Replies made through the one-click links in the notice and reminders (channel "link"):
no password, the signed token is the authority; the receipt quotes the reply and carries
fresh links to change it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from circulation.mail.receipts import queue_mail_reply_receipt
from circulation.mail.tokens import TokenData
from circulation.models import Recipient, Reply
from circulation.services.replies import ReplyRefused, submit_reply
from portal.models import User


def reply_no_opinion_by_link(
    recipient: Recipient,
    token: TokenData,
    *,
    by: User | None,
    meeting_needed: bool | None,
    now: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
) -> Reply:
    """「意見なし」 from the confirmation page, with the answer to the meeting question it
    asks. The token's reply version is the base version, so a replayed link raises
    ReplyConflict instead of recording twice."""
    return _reply_with_receipt(
        recipient=recipient, kind=Reply.Kind.NO_OPINION, submitted_by=by,
        meeting_needed=meeting_needed, base_version=token.version, now=now,
        received_at=received_at,
    )  # fmt: skip


def reply_by_link(
    recipient: Recipient,
    *,
    kind: str,
    opinion: str,
    meeting_needed: bool | None,
    base_version: int,
    by: User | None,
    now: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
) -> Reply:
    """The reply form opened from 「回答する」 (no login)."""
    return _reply_with_receipt(
        recipient=recipient, kind=kind, opinion=opinion, meeting_needed=meeting_needed,
        submitted_by=by, base_version=base_version, now=now, received_at=received_at,
    )  # fmt: skip


def _reply_with_receipt(*, now: dt.datetime | None, **reply: Any) -> Reply:
    """The reply and its one receipt in one transaction. A refusal is re-raised only after
    the transaction, so the refusal's audit entry (written by submit_reply) is kept."""
    refused: ReplyRefused | None = None
    with transaction.atomic():
        try:
            saved = submit_reply(
                **reply, channel=Reply.Channel.LINK, now=now or timezone.now(), send_receipt=False
            )
        except ReplyRefused as exc:
            refused = exc
        else:
            queue_mail_reply_receipt(saved)
    if refused is not None:
        raise refused
    return saved
