"""What the secretariat sees about reminders (督促): whether a deadline leaves time for any of
the council's configured reminders, and when 「未回答の委員に督促する」 was last used and may
be used again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from circulation.models import Circulation, ReminderNow
from portal.models import Committee


def reminders_that_fit(committee: Committee, deadline: dt.datetime, start: dt.datetime) -> list:
    """The configured offsets (hours before the deadline) whose moment lies after `start`
    (the send, or now): only those can go out (jobs/due.py skips earlier ones)."""
    return [
        hours
        for hours in committee.reminder_offsets_hours or []
        if deadline - dt.timedelta(hours=hours) > start
    ]


def no_reminder_fits(
    committee: Committee, deadline: dt.datetime, now: dt.datetime | None = None
) -> bool:
    """True when the council has reminders configured but the deadline is too close for any
    of them, if sent now: the secretariat is warned before sending."""
    now = now or timezone.now()
    offsets = committee.reminder_offsets_hours or []
    return bool(offsets) and not reminders_that_fit(committee, deadline, now)


@dataclass
class RemindNow:
    """The tracking page's 「未回答の委員に督促する」: what was sent and whether it may be
    pressed now (an open circulation, the council's interval since the last one)."""

    sent: list[ReminderNow] = field(default_factory=list)
    interval_hours: int = 24
    next_at: dt.datetime | None = None  # when it may be pressed again (None: now)
    open: bool = False

    @property
    def allowed(self) -> bool:
        return self.open and self.next_at is None


def remind_now_state(
    circulation: Circulation, now: dt.datetime | None = None, *, any_sent: bool = True
) -> RemindNow:
    """One query (the reminders sent by hand, newest first); none when the caller knows
    that none was sent (`any_sent` False: the tracking page's counts ask it)."""
    now = now or timezone.now()
    sent = circulation.reminders_now.select_related("sent_by") if any_sent else []
    state = RemindNow(
        sent=list(sent),
        interval_hours=circulation.committee.reminder_now_interval_hours,
        open=circulation.accepts_replies_at(now),
    )
    if state.sent:
        next_at = state.sent[0].sent_at + dt.timedelta(hours=state.interval_hours)
        state.next_at = next_at if next_at > now else None
    return state
