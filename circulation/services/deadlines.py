"""Extending the deadline (期限を延長) of an open circulation; every recipient who still
sits on the committee is told."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.circulation import queue_deadline_extended
from circulation.models import Circulation, DeadlineExtension
from circulation.templatetags.kairan import format_jst
from portal import audit
from portal.models import User
from portal.permissions import sitting


class ExtensionRefused(Exception):
    """The extension is not possible as asked; the message says why."""


def extend_deadline(
    circulation_id: int,
    *,
    by: User,
    new_deadline: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
) -> DeadlineExtension:
    """Move the deadline later. Reminders and the closing summary follow the new
    deadline_version; the closing sweep cannot close it meanwhile (row lock)."""
    now = now or timezone.now()
    reason = reason.strip()
    if timezone.is_naive(new_deadline):
        raise ValueError("new_deadline must be aware")
    if not reason:
        raise ExtensionRefused(_("延長の理由を入力してください。"))
    with transaction.atomic():
        circulation = Circulation.objects.select_for_update().get(pk=circulation_id)
        if circulation.state != Circulation.State.OPEN:
            raise ExtensionRefused(_("回答受付中の書面照会だけ期限を延長できます。"))
        if new_deadline <= circulation.deadline:
            raise ExtensionRefused(
                _("新しい回答期限は、現在の期限(%(deadline)s)より後にしてください。")
                % {"deadline": format_jst(circulation.deadline)}
            )
        if new_deadline <= now:
            raise ExtensionRefused(_("新しい回答期限は現在より後の日時にしてください。"))
        extension = DeadlineExtension.objects.create(
            circulation=circulation,
            old_deadline=circulation.deadline,
            new_deadline=new_deadline,
            deadline_version=circulation.deadline_version + 1,
            reason=reason,
            extended_by=by,
            extended_at=now,
        )
        circulation.deadline = new_deadline
        circulation.deadline_version = extension.deadline_version
        circulation.updated_at = now
        # A close handed over for the old deadline finds it moved and does nothing; the tick
        # hands over the close of the new one (jobs/due.py).
        circulation.close_handed_at = None
        circulation.save(
            update_fields=["deadline", "deadline_version", "updated_at", "close_handed_at"]
        )
        audit.record(
            "circulation.deadline.extended",
            actor=by,
            obj=circulation,
            data={
                "old_deadline": extension.old_deadline.isoformat(),
                "new_deadline": new_deadline.isoformat(),
                "deadline_version": extension.deadline_version,
                "reason": reason,
            },
        )
        # Only those who may still reply are asked to: a member whose term has ended reads on
        # but has no say (portal.permissions.still_sits).
        recipients = circulation.recipients.filter(
            sitting("user_id", "circulation__committee_id", timezone.localdate(now))
        ).select_related("user", "circulation__committee")
        for recipient in recipients:
            queue_deadline_extended(recipient, extension)
    return extension
