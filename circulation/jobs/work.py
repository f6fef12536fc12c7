"""One piece of due work each, as beat's tick hands them to the workers (circulation/jobs/
tasks.py). Every function is safe to run twice or concurrently with itself: the close and
the reminders to the chair and for a meeting are claimed by compare-and-swap, a member's
reminder is kept single by the outbox's unique key; a second run finds nothing to do."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from circulation.jobs.due import (
    committee_rules,
    due_chair_reminders,
    due_meeting_reminders,
    due_reminders,
)
from circulation.mail.meeting import queue_meeting_reminders
from circulation.mail.reminders import (
    offset_key,
    queue_chair_reminder,
    queue_chair_reminder_copy,
    queue_reminder,
)
from circulation.models import Circulation, Meeting
from circulation.services.closing import close_circulation
from portal import audit
from portal.models import Membership, Role, User
from portal.permissions import acting_decider_role


def close_due_circulation(circulation_id: int, now: dt.datetime) -> bool:
    """Close the circulation if it is still open and past its deadline (True: this call
    closed it)."""
    return close_circulation(circulation_id, now=now)


def queue_due_reminders(circulation_id: int, now: dt.datetime) -> int:
    """The reminders owed now to the circulation's recipients who have not replied; returns
    how many were queued."""
    rules = committee_rules(Q(circulations=circulation_id))
    recipients = list(due_reminders(now, rules).filter(circulation_id=circulation_id))
    if not recipients:
        return 0
    with transaction.atomic():
        queued = [r for r in recipients if queue_reminder(r, r.offset_hours) is not None]
        circulation = recipients[0].circulation
        audit.record(
            "circulation.reminder.queued",
            obj=circulation,
            committee=circulation.committee,
            actor_label="beat",
            data={
                "offset": offset_key(recipients[0].offset_hours),
                "deadline_version": circulation.deadline_version,
                "recipients": [r.user.email for r in queued],
            },
        )
    return len(queued)


def queue_due_chair_reminder(circulation_id: int, now: dt.datetime) -> bool:
    """The reminder to a chair (or acting chair) who has not decided, with a copy to the
    secretariat; True for the one call that queued it."""
    rules = committee_rules(Q(circulations=circulation_id))
    circulation = due_chair_reminders(now, rules).filter(pk=circulation_id).first()
    if circulation is None:
        return False
    with transaction.atomic():
        won = Circulation.objects.filter(
            pk=circulation.pk, state=Circulation.State.CLOSED, chair_reminded_at__isnull=True
        ).update(chair_reminded_at=now)
        if not won:  # another run got there first
            return False
        deciders, secretariat = _decider_and_secretariat(circulation, now)
        for person in deciders:
            queue_chair_reminder(circulation, person, now)
        for person in secretariat:
            queue_chair_reminder_copy(circulation, person, deciders, now)
        audit.record(
            "circulation.chair_reminder.queued",
            obj=circulation,
            committee=circulation.committee,
            actor_label="beat",
            data={"to": [p.email for p in deciders], "copy": [p.email for p in secretariat]},
        )
    return True


def _decider_and_secretariat(
    circulation: Circulation, now: dt.datetime
) -> tuple[list[User], list[User]]:
    day = timezone.localdate(now)
    committee = circulation.committee
    role = acting_decider_role(committee, day)
    seats = (
        Membership.objects.on(day)
        .filter(committee=committee, role__in=[role, Role.SECRETARIAT], user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )
    deciders: dict[int, User] = {}
    secretariat: dict[int, User] = {}
    for seat in seats:
        (secretariat if seat.role == Role.SECRETARIAT else deciders)[seat.user_id] = seat.user
    return list(deciders.values()), list(secretariat.values())


def queue_due_meeting_reminder(meeting_id: int, now: dt.datetime) -> bool:
    """The meeting's day-before reminder (前日の案内) for its current version; True for the
    one call that queued it."""
    meeting = due_meeting_reminders(now).filter(pk=meeting_id).first()
    if meeting is None:
        return False
    with transaction.atomic():
        # Compare-and-swap: of two runs (or a change made meanwhile) one wins this version.
        won = (
            Meeting.objects.filter(
                pk=meeting.pk, state=Meeting.State.SCHEDULED, version=meeting.version
            )
            .filter(Q(reminded_version__isnull=True) | Q(reminded_version__lt=meeting.version))
            .update(reminded_version=meeting.version)
        )
        if not won:
            return False
        told = queue_meeting_reminders(meeting, now)
        audit.record(
            "meeting.reminder.queued",
            obj=meeting.circulation or meeting,
            actor_label="beat",
            data={
                "meeting": meeting.pk,
                "version": meeting.version,
                "starts_at": meeting.starts_at.isoformat(),
                "to": [person.email for person in told],
            },
        )
    return True
