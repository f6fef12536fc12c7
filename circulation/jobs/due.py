"""Time-driven work, found by querying the database (beat runs it every
KAIRAN_DUE_WORK_SECONDS). Each run asks "what is due now?", so a missed run, a restarted
worker or a moved deadline can never lose or duplicate anything; compare-and-swap updates and
the outbox's unique key make two concurrent runs harmless.

One look ahead: a close due before the next run is handed over at once, as a task that runs
at its own moment (deadline + grace, a Celery ETA), so that a storm of closes starts on time
rather than at the next tick. That task is only a head start: the close's compare-and-swap
still decides, a deadline extended meanwhile makes it a no-op (and clears the hand-over
stamp, so the next run hands over the new one), and a task lost with its worker is handed
over again after KAIRAN_DUE_WORK_REQUEUE_SECONDS like any other.

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
from typing import Any

from django.conf import settings
from django.core.cache import cache
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

from circulation.jobs.attendance import queue_due_attendance_reminders
from circulation.jobs.riders import queue_rider_reminders
from circulation.mail.reminders import REMINDER, offset_key
from circulation.models import (
    Circulation,
    DeadlineExtension,
    Heartbeat,
    Meeting,
    OutboxMessage,
    Recipient,
)
from circulation.models.heartbeat import record_heartbeat
from portal.celery import app as celery_app
from portal.models import Committee
from portal.permissions import sitting

log = logging.getLogger(__name__)
BEAT = "due_work"


@dataclass
class DueWorkReport:
    # Handed to workers by this tick (ids); the rest is filled only where the work ran in
    # this process (eager mode, the tests): what it did.
    handed: dict[str, list[int]] = field(default_factory=dict)
    closed: list[int] = field(default_factory=list)
    reminders: int = 0
    chair_reminders: list[int] = field(default_factory=list)
    meeting_reminders: list[int] = field(default_factory=list)  # meeting ids
    rider_reminders: list[int] = field(default_factory=list)  # open riders (jobs/riders.py)
    attendance_reminders: list[int] = field(default_factory=list)  # jobs/attendance.py
    errors: int = 0


@dataclass(frozen=True)
class CommitteeRules:
    offsets: tuple[float, ...]  # ascending, positive hours
    chair_reminder_days: int


# The tasks that do one piece of due work each (circulation/jobs/tasks.py); named, not
# imported, because they call back into this package.
CLOSE = "circulation.tasks.close_due_circulation"
REMIND = "circulation.tasks.queue_due_reminders"
REMIND_CHAIR = "circulation.tasks.queue_due_chair_reminder"
REMIND_MEETING = "circulation.tasks.queue_due_meeting_reminder"


def run_due_work(now: dt.datetime | None = None) -> DueWorkReport:
    """One tick of beat: find what is due now — closes, reminders, chair reminders,
    meetings' day-before reminders — with one query per kind, and hand each piece to a
    task of its own, so that a thousand closes at one 17:00 run on every worker process at
    once and the tick stays a handful of statements. Then record the heartbeat. Each kind
    survives a failure of another; each task is safe to run twice (compare-and-swap, the
    outbox's unique key)."""
    now = now or timezone.now()
    report = DueWorkReport()
    rules = committee_rules()
    _safely(report, "closes", lambda: _hand_over_closes(now, report))
    _safely(report, "reminders", lambda: _hand_over_reminders(now, rules, report))
    _safely(report, "chair reminders", lambda: _hand_over_chair_reminders(now, rules, report))
    _safely(report, "meeting reminders", lambda: _hand_over_meeting_reminders(now, report))
    # Open riders of consultations: few, each claimed by compare-and-swap, done here.
    _safely(report, "rider reminders", lambda: report.rider_reminders.extend(
        queue_rider_reminders(now)))  # fmt: skip
    _safely(report, "attendance reminders", lambda: report.attendance_reminders.extend(
        queue_due_attendance_reminders(now)))  # fmt: skip
    record_heartbeat(BEAT, now)
    cache.delete(BEAT_READING_KEY)  # pages read the heartbeat afresh (beat_is_stale)
    return report


def hand_over(task_name: str, ids: list[int], now: dt.datetime) -> list[Any] | None:
    """Publish one task a piece over one producer connection. In eager mode the tasks run
    here and their results come back (None otherwise: they run on the workers). A broker
    that fails here loses nothing: what stays due is found again by a later tick."""
    if not ids:
        return []
    args = [(pk, now.isoformat()) for pk in ids]
    if celery_app.conf.task_always_eager:
        if task_name not in celery_app.tasks:  # a web process never loaded the workers' tasks
            celery_app.autodiscover_tasks(["circulation.jobs"], force=True)
        task = celery_app.tasks[task_name]
        return [task.apply(call).get() for call in args]
    with celery_app.producer_or_acquire() as producer:
        for call in args:
            celery_app.send_task(task_name, args=call, producer=producer)
    return None


def hand_over_at(task_name: str, calls: list[tuple[int, dt.datetime]]) -> None:
    """Publish one task a piece, each to run at its own moment (Celery's `eta`), which is
    also the moment it works at. Workers only: never in eager mode."""
    with celery_app.producer_or_acquire() as producer:
        for pk, moment in calls:
            celery_app.send_task(
                task_name, args=(pk, moment.isoformat()), eta=moment, producer=producer
            )


def task_moment(tick: str) -> dt.datetime:
    """The moment a handed-over task works at: the tick's own, so that the task does what
    the tick found due (a reminder the tick saw due is not dropped because the task ran a
    little later; delivery checks again whether it is still wanted)."""
    return dt.datetime.fromisoformat(tick)


def _safely(report: DueWorkReport, what: str, work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # logged; the other parts and the next run go on
        report.errors += 1
        log.exception("due work: %s failed", what)


def committee_rules(only: Q | None = None) -> dict[int, CommitteeRules]:
    """Each committee's reminder rules (or only those of the committees `only` selects)."""
    committees = Committee.objects.filter(only) if only is not None else Committee.objects.all()
    rules = {}
    for pk, offsets, days in committees.values_list(
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


def due_closes(now: dt.datetime, *, ahead: dt.timedelta | None = None) -> QuerySet[Circulation]:
    """Open circulations past their deadline that no worker holds: never handed over, or
    handed over long enough ago that the task must have been lost. One query. With `ahead`,
    also those whose close falls within that much time from now.

    A reply that reached the portal before the deadline may still be waiting in a busy
    server for the grace period (services/replies.py): the close comes after it, so that
    such a reply is recorded before the summary counts the replies."""
    grace = dt.timedelta(seconds=settings.KAIRAN_REPLY_GRACE_SECONDS)
    requeue = now - dt.timedelta(seconds=settings.KAIRAN_DUE_WORK_REQUEUE_SECONDS)
    until = now - grace + (ahead or dt.timedelta(0))
    due = Circulation.objects.filter(state=Circulation.State.OPEN, deadline__lte=until)
    return due.filter(Q(close_handed_at__isnull=True) | Q(close_handed_at__lt=requeue))


def close_moment(deadline: dt.datetime) -> dt.datetime:
    """When a circulation closes: its deadline plus the replies' grace."""
    return deadline + dt.timedelta(seconds=settings.KAIRAN_REPLY_GRACE_SECONDS)


def _hand_over_closes(now: dt.datetime, report: DueWorkReport) -> None:
    # Closes due before the next tick are handed over now, each to run at its own moment
    # (a Celery ETA): a storm of closes at 17:00 starts at 17:00 + grace, not at whichever
    # tick comes after it. Not in eager mode, where a task runs at once.
    ahead = None
    if not celery_app.conf.task_always_eager:
        ahead = dt.timedelta(seconds=settings.KAIRAN_DUE_WORK_SECONDS)
    rows = list(
        due_closes(now, ahead=ahead).order_by("deadline", "pk").values_list("pk", "deadline")
    )
    if not rows:
        return
    due = [pk for pk, _ in rows]
    # Stamped before the hand-over: a second tick meanwhile does not hand them over again
    # (and if it did, the close's compare-and-swap would make the second task a no-op).
    # A deadline extended meanwhile clears the stamp (services/deadlines.py).
    Circulation.objects.filter(pk__in=due).update(close_handed_at=now)
    report.handed["closes"] = due
    moments = [(pk, close_moment(deadline)) for pk, deadline in rows]
    now_due = [pk for pk, moment in moments if moment <= now]
    results = hand_over(CLOSE, now_due, now)
    if results is not None:
        report.closed = [pk for pk, won in zip(now_due, results, strict=True) if won]
    later = [(pk, moment) for pk, moment in moments if moment > now]
    if later:
        hand_over_at(CLOSE, later)


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


def _hand_over_reminders(
    now: dt.datetime, rules: dict[int, CommitteeRules], report: DueWorkReport
) -> None:
    due = list(
        due_reminders(now, rules).order_by().values_list("circulation_id", flat=True).distinct()
    )
    report.handed["reminders"] = due
    results = hand_over(REMIND, sorted(due), now)
    if results is not None:
        report.reminders = sum(results)


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


def _hand_over_chair_reminders(
    now: dt.datetime, rules: dict[int, CommitteeRules], report: DueWorkReport
) -> None:
    due = list(due_chair_reminders(now, rules).values_list("pk", flat=True))
    report.handed["chair_reminders"] = due
    results = hand_over(REMIND_CHAIR, due, now)
    if results is not None:
        report.chair_reminders = [pk for pk, won in zip(due, results, strict=True) if won]


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
        .select_related("committee", "circulation__committee")
        .order_by("starts_at", "pk")
    )


def _hand_over_meeting_reminders(now: dt.datetime, report: DueWorkReport) -> None:
    due = list(due_meeting_reminders(now).values_list("pk", flat=True))
    report.handed["meeting_reminders"] = due
    results = hand_over(REMIND_MEETING, due, now)
    if results is not None:
        report.meeting_reminders = [pk for pk, won in zip(due, results, strict=True) if won]


# --- Heartbeat ------------------------------------------------------------------------------


# Every page of the secretariat asks whether beat is silent. The heartbeat changes only when
# beat ticks, and each tick drops the reading kept in Django's cache (whatever it said: beat
# ran at T, or never), so pages read it once per tick and the warning goes the moment beat
# runs again. The timeout is a safety net for a cache the tick does not share (Redis out of
# reach: each process's memory): shorter than the stale limit, so never a false warning.
BEAT_READING_KEY = "kairan:beat-reading"


def beat_is_stale(now: dt.datetime | None = None, *, kept: bool = False) -> bool:
    """True when due work has not run for KAIRAN_BEAT_STALE_SECONDS (or never ran).
    `kept`: from the reading of the heartbeat kept since beat's last tick (pages)."""
    now = now or timezone.now()
    limit = settings.KAIRAN_BEAT_STALE_SECONDS
    reading = cache.get(BEAT_READING_KEY) if kept else None
    if reading is None:
        reading = (Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first(),)
        if kept:
            cache.set(BEAT_READING_KEY, reading, limit // 2)
    (last,) = reading
    return last is None or last < now - dt.timedelta(seconds=limit)
