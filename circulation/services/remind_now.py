"""「未回答の委員に督促する」: the secretariat reminds every recipient who has not replied, now,
besides the council's scheduled reminders — at most once per the council's interval
(Committee.reminder_now_interval_hours), audited, and listed on the tracking page."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.reminders import queue_reminder
from circulation.models import Circulation, ReminderNow
from circulation.templatetags.kairan import format_jst
from portal import audit
from portal.models import User
from portal.permissions import sitting


class RemindRefused(Exception):
    """Not now: the message says why; `code` is not_open, too_soon or nobody."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def remind_now(circulation_id: int, *, by: User, now: dt.datetime | None = None) -> ReminderNow:
    """Queue the reminder to every recipient who has not replied and still sits. Refused
    (and logged) when the circulation is not open, when the last reminder sent by hand is
    more recent than the council's interval, or when everyone has replied."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked, so that two presses at once send one reminder (the second waits, then
        # finds the first one's row).
        circulation = (
            Circulation.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(pk=circulation_id)
        )
        refusal, owed = _refusal(circulation, now)
        if refusal is None:
            number = circulation.reminders_now.count() + 1
            queued = []
            for recipient in owed:
                recipient.circulation = circulation
                if queue_reminder(recipient, key=f"now-{number}") is not None:
                    queued.append(recipient.user.email)
            sent = ReminderNow.objects.create(
                circulation=circulation, sent_by=by, sent_at=now, recipients=len(queued)
            )
            audit.record(
                "circulation.reminder.sent_now",
                actor=by,
                obj=circulation,
                data={"number": number, "recipients": queued},
            )
            return sent
    audit.record(
        "circulation.reminder.refused",
        actor=by,
        obj=circulation,
        result="refused",
        data={"reason": refusal.code},
    )
    raise refusal


def _refusal(circulation: Circulation, now: dt.datetime) -> tuple[RemindRefused | None, list]:
    if not circulation.accepts_replies_at(now):
        return RemindRefused(_("回答受付中の書面照会だけ督促できます。"), "not_open"), []
    last = circulation.reminders_now.order_by("-sent_at").first()
    hours = circulation.committee.reminder_now_interval_hours
    if last is not None and now < last.sent_at + dt.timedelta(hours=hours):
        again = format_jst(last.sent_at + dt.timedelta(hours=hours))
        message = _("督促は%(hours)s時間に1回までです。次は %(when)s から送れます。") % {
            "hours": hours,
            "when": again,
        }
        return RemindRefused(message, "too_soon"), []
    # Whom the scheduled reminders would remind: no reply, still sitting, account active.
    owed = list(
        circulation.recipients.filter(current_reply__isnull=True, user__is_active=True)
        .filter(sitting("user_id", "circulation__committee_id", timezone.localdate(now)))
        .select_related("user")
        .order_by("user__full_name", "pk")
    )
    if not owed:
        return RemindRefused(_("未回答の委員はいません。"), "nobody"), []
    return None, owed
