"""Time-driven work, found by querying the database (beat runs it every
KAIRAN_DUE_WORK_SECONDS). Nothing is scheduled ahead as an ETA task: each run asks "what is
due now?", so a missed run, a restarted worker or a moved deadline can never lose or
duplicate anything; compare-and-swap updates and the outbox's unique key make two concurrent
runs harmless.

The number of queries does not grow with the number of circulations: one query per kind of
work finds everything due; only the work actually done (a close, a mail) costs more.

Reminder rules (督促), per committee offsets in hours before the deadline:
- an offset is due when its moment (deadline - offset) has passed and the deadline has not;
- only the latest due offset counts: after beat was down for two days the member gets one
  reminder, not both the 3-day and the 1-day one;
- an offset whose moment lies before the start of the current deadline version is skipped:
  the version starts when the circulation was sent (sent_at) or, after an extension, at
  DeadlineExtension.extended_at of that version. So a circulation sent 2 days before its
  deadline gets no 3-day reminder, and an extension sends none for offsets already past;
- once per recipient, offset and deadline version (the outbox key: purpose
  circulation.reminder, deadline_version, key '<offset>h'), only to recipients without a
  current reply, checked again when the mail is sent.

The meeting's day-before reminder (前日の案内), per meeting version:
- due from Meeting.reminder_at (09:00 Japan time the day before) until the meeting starts;
- never for a cancelled meeting, and not for a version made after its reminder moment (a
  meeting scheduled or moved to tomorrow this afternoon: its notice is the reminder);
- claimed by compare-and-swap on Meeting.reminded_version, then one mail per invitee keyed
  'v<version>': a changed meeting gets one reminder for its new time; checked again when
  the mail is sent (circulation/mail/meeting.py cancel_reason).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from circulation.jobs.riders import queue_rider_reminders
from circulation.mail.meeting import queue_meeting_reminders
from circulation.mail.reminders import (
    REMINDER,
    offset_key,
    queue_chair_reminder,
    queue_chair_reminder_copy,
    queue_reminder,
)
from circulation.models import (
    Circulation,
    DeadlineExtension,
    Heartbeat,
    Meeting,
    OutboxMessage,
    Recipient,
)
from portal import audit
from portal.models import Committee, Membership, Role, User
from portal.permissions import acting_decider_role, sitting

log = logging.getLogger(__name__)
BEAT = "due_work"


@dataclass
class DueWorkReport:
    closed: list[int] = field(default_factory=list)
    reminders: int = 0
    chair_reminders: list[int] = field(default_factory=list)
    meeting_reminders: list[int] = field(default_factory=list)  # meeting ids
    rider_reminders: list[int] = field(default_factory=list)  # open riders (jobs/riders.py)
    errors: int = 0


@dataclass(frozen=True)
class CommitteeRules:
    offsets: tuple[float, ...]  # ascending, positive hours
    chair_reminder_days: int


def run_due_work(now: dt.datetime | None = None) -> DueWorkReport:
    """Close what is past its deadline, queue due reminders, chair reminders and meetings'
    day-before reminders, then record the heartbeat. Each part survives a failure of
    another."""
    now = now or timezone.now()
    report = DueWorkReport()
    rules = committee_rules()
    _close_due(now, report)
    _safely(report, "reminders", lambda: _queue_reminders(now, rules, report))
    _safely(report, "chair reminders", lambda: _queue_chair_reminders(now, rules, report))
    _safely(report, "meeting reminders", lambda: _queue_meeting_reminders(now, report))
    _safely(report, "rider reminders", lambda: report.rider_reminders.extend(
        queue_rider_reminders(now)))  # fmt: skip
    record_heartbeat(BEAT, now)
    return report


def _safely(report: DueWorkReport, what: str, work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # logged; the other parts and the next run go on
        report.errors += 1
        log.exception("due work: %s failed", what)


def committee_rules() -> dict[int, CommitteeRules]:
    rules = {}
    for pk, offsets, days in Committee.objects.values_list(
        "pk", "reminder_offsets_hours", "chair_reminder_days"
    ):
        rules[pk] = CommitteeRules(_clean_offsets(offsets), days)
    return rules


def _clean_offsets(raw: object) -> tuple[float, ...]:
    values = raw if isinstance(raw, list) else []
    numbers = {
        float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and v > 0
    }
    return tuple(sorted(numbers))


# --- Closing at the deadline ----------------------------------------------------------------


def _close_due(now: dt.datetime, report: DueWorkReport) -> None:
    due = list(
        Circulation.objects.filter(state=Circulation.State.OPEN, deadline__lte=now)
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )
    if not due:
        return
    from circulation.services.closing import close_circulation  # the integrator's service (issue 3)

    for pk in due:
        try:
            if close_circulation(pk, now=now):  # False: another run closed it first
                report.closed.append(pk)
        except Exception:  # one broken circulation must not keep the others open
            report.errors += 1
            log.exception("due work: closing circulation %s failed", pk)


# --- Reminders to members -------------------------------------------------------------------


def due_reminders(now: dt.datetime, rules: dict[int, CommitteeRules]) -> QuerySet[Recipient]:
    """Recipients owed a reminder now, annotated with `reminder_key` and `offset_hours`.
    One query, whatever the number of circulations."""
    by_offsets: dict[tuple[float, ...], list[int]] = defaultdict(list)
    for committee_id, rule in rules.items():
        if rule.offsets:
            by_offsets[rule.offsets].append(committee_id)
    if not by_offsets:
        return Recipient.objects.none()
    deadline = F("circulation__deadline")
    whens_key, whens_hours = [], []
    for offsets, committee_ids in by_offsets.items():
        previous: float | None = None
        for hours in offsets:  # ascending: the latest moment first
            offset = dt.timedelta(hours=hours)
            due = Q(
                circulation__committee_id__in=committee_ids,
                circulation__deadline__lte=now + offset,
                version_start__lt=deadline - offset,
            )
            if previous is not None:
                due &= Q(circulation__deadline__gt=now + dt.timedelta(hours=previous))
            whens_key.append(When(due, then=Value(offset_key(hours))))
            whens_hours.append(When(due, then=Value(hours)))
            previous = hours
    already = OutboxMessage.objects.filter(
        purpose=REMINDER,
        circulation_id=OuterRef("circulation_id"),
        deadline_version=OuterRef("circulation__deadline_version"),
        to_user_id=OuterRef("user_id"),
        key=OuterRef("reminder_key"),
    )
    return (
        Recipient.objects.filter(
            circulation__state=Circulation.State.OPEN,
            circulation__deadline__gt=now,
            current_reply__isnull=True,
            user__is_active=True,
        )
        # Not to a recipient whose term has ended: they may no longer reply (still_sits).
        .filter(sitting("user_id", "circulation__committee_id", timezone.localdate(now)))
        .annotate(version_start=_version_start())
        .annotate(reminder_key=Case(*whens_key, default=Value("")))
        .annotate(offset_hours=Case(*whens_hours, default=Value(0.0)))
        .exclude(reminder_key="")
        .exclude(Exists(already))
        .select_related("user", "circulation__committee")
        .order_by("circulation_id", "pk")
    )


def _version_start() -> Coalesce:
    """When the current deadline came into force: the extension that set it, else the send."""
    extended_at = (
        DeadlineExtension.objects.filter(
            circulation_id=OuterRef("circulation_id"),
            deadline_version=OuterRef("circulation__deadline_version"),
        )
        .order_by("-extended_at")
        .values("extended_at")[:1]
    )
    return Coalesce(
        Subquery(extended_at, output_field=DateTimeField()),
        F("circulation__sent_at"),
        F("circulation__created_at"),
        output_field=DateTimeField(),
    )


def _queue_reminders(
    now: dt.datetime, rules: dict[int, CommitteeRules], report: DueWorkReport
) -> None:
    owed = list(due_reminders(now, rules))
    if not owed:
        return
    by_circulation: dict[int, list[Recipient]] = defaultdict(list)
    for recipient in owed:
        by_circulation[recipient.circulation_id].append(recipient)
    for recipients in by_circulation.values():
        with transaction.atomic():  # one circulation at a time: a failure spoils no other
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
        report.reminders += len(queued)


# --- Reminder to a chair who has not decided -------------------------------------------------


def due_chair_reminders(
    now: dt.datetime, rules: dict[int, CommitteeRules]
) -> QuerySet[Circulation]:
    by_days: dict[int, list[int]] = defaultdict(list)
    for committee_id, rule in rules.items():
        by_days[rule.chair_reminder_days].append(committee_id)
    due = Q(pk__in=[])
    for days, committee_ids in by_days.items():
        due |= Q(committee_id__in=committee_ids, closed_at__lte=now - dt.timedelta(days=days))
    return (
        Circulation.objects.filter(
            due,
            state=Circulation.State.CLOSED,
            chair_reminded_at__isnull=True,
            decision__isnull=True,
        )
        .select_related("committee")
        .order_by("closed_at", "pk")
    )


def _queue_chair_reminders(
    now: dt.datetime, rules: dict[int, CommitteeRules], report: DueWorkReport
) -> None:
    for circulation in due_chair_reminders(now, rules):
        with transaction.atomic():
            won = Circulation.objects.filter(
                pk=circulation.pk,
                state=Circulation.State.CLOSED,
                chair_reminded_at__isnull=True,
            ).update(chair_reminded_at=now)
            if not won:  # another run got there first
                continue
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
        report.chair_reminders.append(circulation.pk)


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
    deciders, secretariat = [], []
    for seat in seats:
        (secretariat if seat.role == Role.SECRETARIAT else deciders).append(seat.user)
    return _unique(deciders), _unique(secretariat)


def _unique(users: list[User]) -> list[User]:
    return list({user.pk: user for user in users}.values())


# --- The meeting's day-before reminder (前日の案内) ------------------------------------------


def due_meeting_reminders(now: dt.datetime) -> QuerySet[Meeting]:
    """Meetings whose current version is owed its 前日の案内 now. One query."""
    return (
        Meeting.objects.filter(
            state=Meeting.State.SCHEDULED,
            reminder_at__lte=now,
            starts_at__gt=now,
            version_at__lt=F("reminder_at"),
        )
        .filter(Q(reminded_version__isnull=True) | Q(reminded_version__lt=F("version")))
        .select_related("circulation__committee")
        .order_by("starts_at", "pk")
    )


def _queue_meeting_reminders(now: dt.datetime, report: DueWorkReport) -> None:
    for meeting in due_meeting_reminders(now):
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
                continue
            told = queue_meeting_reminders(meeting, now)
            audit.record(
                "meeting.reminder.queued",
                obj=meeting.circulation,
                actor_label="beat",
                data={
                    "meeting": meeting.pk,
                    "version": meeting.version,
                    "starts_at": meeting.starts_at.isoformat(),
                    "to": [person.email for person in told],
                },
            )
        report.meeting_reminders.append(meeting.pk)


# --- Heartbeat ------------------------------------------------------------------------------


def record_heartbeat(name: str, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    if not Heartbeat.objects.filter(name=name).update(at=now):
        Heartbeat.objects.get_or_create(name=name, defaults={"at": now})


def beat_is_stale(now: dt.datetime | None = None) -> bool:
    """True when due work has not run for KAIRAN_BEAT_STALE_SECONDS (or never ran)."""
    now = now or timezone.now()
    last = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    return last is None or last < now - dt.timedelta(seconds=settings.KAIRAN_BEAT_STALE_SECONDS)
