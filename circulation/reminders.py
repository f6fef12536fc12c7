"""Reminder mail (督促): to members who have not replied, and to a chair who has not decided.

One function per mail; `circulation/due_work.py` decides when they are due. `cancel_reason`
is asked again at the moment of sending, so a member who replied while the reminder waited
in the outbox (SMTP retries, a busy worker) does not get it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings

from portal.models import User

from .models import Circulation, OutboxMessage, Recipient

REMINDER = "circulation.reminder"
CHAIR_REMINDER = "circulation.chair_reminder"

_JST = zoneinfo.ZoneInfo("Asia/Tokyo")
_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_deadline(moment: dt.datetime, language: str = "ja") -> str:
    """Japan time with the weekday: 9月10日(金) 17:00 / Fri 10 Sep 17:00 JST."""
    local = moment.astimezone(_JST)
    if language == "en":
        return f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {local:%b %H:%M} JST"
    return f"{local.month}月{local.day}日({_WEEKDAYS_JA[local.weekday()]}) {local:%H:%M}"


def offset_key(offset_hours: float) -> str:
    """The outbox key of one reminder offset: '72h', '24h', '0.5h'."""
    return f"{offset_hours:g}h"


def circulation_url(circulation: Circulation) -> str:
    return f"{settings.SITE_URL}/c/{circulation.pk}/"


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def queue_reminder(recipient: Recipient, offset_hours: float) -> OutboxMessage | None:
    """督促 to one recipient who has not replied; once per offset and deadline version."""
    from .outbox import queue_mail

    circulation = recipient.circulation
    user = recipient.user
    return queue_mail(
        purpose=REMINDER,
        to=user,
        template="reminder",
        context={
            "circulation": circulation,
            "committee": circulation.committee,
            "deadline_text": format_deadline(circulation.deadline, _language(user)),
            "offset_hours": offset_hours,
            "days_left": round(offset_hours / 24) if offset_hours >= 24 else 0,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=offset_key(offset_hours),
    )


def _tally(circulation: Circulation) -> dict[str, int]:
    recipients = Recipient.objects.filter(circulation=circulation)
    return {
        "total": recipients.count(),
        "replied": recipients.filter(current_reply__isnull=False).count(),
    }


def queue_chair_reminder(
    circulation: Circulation, decider: User, now: dt.datetime
) -> OutboxMessage | None:
    """To the chair (or acting chair) who has not decided N days after the close."""
    from .outbox import queue_mail

    return queue_mail(
        purpose=CHAIR_REMINDER,
        to=decider,
        template="chair_reminder",
        context=_chair_context(circulation, decider, now),
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key="decider",
    )


def queue_chair_reminder_copy(
    circulation: Circulation, secretariat: User, deciders: list[User], now: dt.datetime
) -> OutboxMessage | None:
    """The secretariat's copy of the chair reminder, naming whom it went to."""
    from .outbox import queue_mail

    context = _chair_context(circulation, secretariat, now)
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


def _chair_context(circulation: Circulation, user: User, now: dt.datetime) -> dict[str, object]:
    closed_at = circulation.closed_at or circulation.deadline
    return {
        "circulation": circulation,
        "committee": circulation.committee,
        "deadline_text": format_deadline(circulation.deadline, _language(user)),
        "days_since_close": max((now - closed_at).days, 0),
        "tally": _tally(circulation),
        "url": circulation_url(circulation),
    }


def cancel_reason(message: OutboxMessage) -> str:
    """Why a claimed reminder is no longer wanted ('' when it should go out)."""
    if message.purpose == REMINDER and message.circulation_id:
        row = (
            Recipient.objects.filter(
                circulation_id=message.circulation_id, user_id=message.to_user_id
            )
            .values("current_reply_id", "circulation__state", "circulation__deadline_version")
            .first()
        )
        if row is None:
            return "reminder cancelled: no longer a recipient"
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
    return ""
