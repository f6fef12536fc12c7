"""The mail Kairan queued for one recipient of a circulation, with each message's state: what
the tracking page's row links to, so that the secretariat can tell a member "the notice went
out on Monday at 9:02" or see that a reminder failed."""

from __future__ import annotations

from circulation.models import Circulation, OutboxMessage, Recipient


def mail_of(circulation: Circulation, recipient: Recipient) -> list[OutboxMessage]:
    """Every message of the circulation addressed to the recipient's person, oldest first
    (one query); each says what it is by `purpose_label` (circulation/models/purposes.py)."""
    messages = list(
        OutboxMessage.objects.filter(circulation=circulation, to_user_id=recipient.user_id)
        .only(
            "purpose", "to_email", "subject", "state", "attempts", "last_error",
            "created_at", "sent_at", "key", "deadline_version",
        )
        .order_by("created_at", "id")
    )  # fmt: skip
    return messages
