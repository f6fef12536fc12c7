"""Reminder mail (督促): to members who have not replied, and to a chair who has not decided.
(The meeting's day-before reminder, 前日の案内, is in meeting_mails.py; its check at the
moment of sending is reached through `cancel_reason` here.)

One function per mail; `circulation/jobs/due.py` decides when they are due. `cancel_reason`
is asked again at the moment of sending, so a member who replied while the reminder waited
in the outbox (SMTP retries, a busy worker) does not get it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from circulation.mail.circulation import circulation_url
from circulation.mail.consultation import queue_vote_reminder
from circulation.mail.meeting import REMINDER as MEETING_REMINDER
from circulation.mail.meeting import cancel_reason as meeting_reminder_cancel_reason
from circulation.mail.outbox import queue_mail
from circulation.mail.tokens import reply_links
from circulation.models import Circulation, OutboxMessage, Recipient
from circulation.reads.tally import tally
from portal.models import User
from portal.permissions import sitting

REMINDER = "circulation.reminder"
CHAIR_REMINDER = "circulation.chair_reminder"


def offset_key(offset_hours: float) -> str:
    """The outbox key of one reminder offset: '72h', '24h', '0.5h'."""
    return f"{offset_hours:g}h"


def queue_reminder(
    recipient: Recipient, offset_hours: float = 0, *, key: str = ""
) -> OutboxMessage | None:
    """督促 to one recipient who has not replied; once per offset (or `key`: the
    secretariat's reminders sent by hand, 'now-<n>') and deadline version."""
    circulation = recipient.circulation
    if circulation.is_consultation:  # the same reminder, with the vote links per item
        return queue_vote_reminder(recipient, offset_hours, offset_key(offset_hours))
    # Fresh links and reply address: they work even after the secretariat revoked the
    # ones in the notice (revocation only kills what was issued before it).
    links = reply_links(recipient)
    return queue_mail(
        purpose=REMINDER,
        to=recipient.user,
        template="reminder",
        context={
            "circulation": circulation,
            "committee": circulation.committee,
            "offset_hours": offset_hours,
            "url": circulation_url(circulation),
            "links": links,
        },
        reply_to=links["reply_to"],
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=key or offset_key(offset_hours),
    )


def queue_chair_reminder(
    circulation: Circulation, decider: User, now: dt.datetime
) -> OutboxMessage | None:
    """To the chair (or acting chair) who has not decided N days after the close."""
    return queue_mail(
        purpose=CHAIR_REMINDER,
        to=decider,
        template="chair_reminder",
        context=_chair_context(circulation, now),
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key="decider",
    )


def queue_chair_reminder_copy(
    circulation: Circulation, secretariat: User, deciders: list[User], now: dt.datetime
) -> OutboxMessage | None:
    """The secretariat's copy of the chair reminder, naming whom it went to."""
    context = _chair_context(circulation, now)
    context["deciders"] = deciders
    return queue_mail(
        purpose=CHAIR_REMINDER,
        to=secretariat,
        template="chair_reminder_copy",
        context=context,
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key="secretariat",
    )


def _chair_context(circulation: Circulation, now: dt.datetime) -> dict[str, object]:
    closed_at = circulation.closed_at or circulation.deadline
    return {
        "circulation": circulation,
        "committee": circulation.committee,
        "days_since_close": max((now - closed_at).days, 0),
        "tally": tally(circulation),
        "url": circulation_url(circulation),
    }


def cancel_reason(message: OutboxMessage) -> str:
    """Why a claimed reminder is no longer wanted ('' when it should go out)."""
    if message.purpose == REMINDER and message.circulation_id:
        row = (
            Recipient.objects.filter(
                circulation_id=message.circulation_id, user_id=message.to_user_id
            )
            .annotate(sits=sitting("user_id", "circulation__committee_id", timezone.localdate()))
            .values(
                "current_reply_id",
                "circulation__state",
                "circulation__deadline_version",
                "sits",
                "user__is_active",
            )
            .first()
        )
        if row is None:
            return "reminder cancelled: no longer a recipient"
        # Queued while the member sat; their term may have ended (or the account been
        # switched off) before it went out: they can no longer reply.
        if not (row["sits"] and row["user__is_active"]):
            return "reminder cancelled: the member no longer sits on the committee"
        if row["circulation__state"] != Circulation.State.OPEN:
            return "reminder cancelled: the circulation is no longer open"
        if row["circulation__deadline_version"] != message.deadline_version:
            return "reminder cancelled: the deadline was extended"
        if row["current_reply_id"] is not None:
            return "reminder cancelled: the member replied before it went out"
    if message.purpose == CHAIR_REMINDER and message.circulation_id:
        state = (
            Circulation.objects.filter(pk=message.circulation_id)
            .values_list("state", flat=True)
            .first()
        )
        if state != Circulation.State.CLOSED:
            return "chair reminder cancelled: the decision has been made"
    if message.purpose == MEETING_REMINDER:
        return meeting_reminder_cancel_reason(message)
    return ""
