"""Retention (保存期間) of sessions (会議): a session held on its own (no circulation) is a
record of its own, kept by the council's period for 会議・会議録 from its last step (the
session's end, its attendance record, its minutes' publication; a cancelled one from its
cancellation). A circulation's meeting goes with the circulation (retention.py), and both
remove a session's rows here: its agenda, materials (every file), attendance, elections and
minutes (uploaded, or written in Kairan with their public record), children first.

A circulation or consultation disposed of while a kept session's agenda links it leaves that
item as its text: the link goes, the agenda stays as it was held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from circulation.models import (
    AgendaItem,
    Attendance,
    Election,
    Meeting,
    MeetingMinutes,
    Minutes,
    MinutesCheck,
    MinutesChecker,
    MinutesPart,
    MinutesVersion,
    Publication,
    SessionMaterial,
)


@dataclass
class SessionRecord:
    meeting: Meeting
    finished_on: dt.date  # the day of its last step (Japan time)

    @property
    def label(self) -> str:
        meeting = self.meeting
        number = f"第{meeting.number}回 " if meeting.number else ""
        title = meeting.title or timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d")
        return f"{number}{title}(会議 No.{meeting.pk})"


def finished_sessions(committee_id: int, now: dt.datetime | None = None) -> Iterator[SessionRecord]:
    """The council's sessions on their own that are over (ended, or cancelled), with the day
    of each one's last step: one query."""
    now = now or timezone.now()
    meetings = Meeting.objects.filter(committee_id=committee_id, circulation__isnull=True).filter(
        Q(ends_at__lt=now) | Q(state=Meeting.State.CANCELLED)
    )
    for meeting in meetings.order_by("pk"):
        ended = meeting.version_at if meeting.is_cancelled else meeting.ends_at
        moments = [ended, meeting.attendance_recorded_at, meeting.minutes_published_at]
        last = max(moment for moment in moments if moment is not None)
        yield SessionRecord(meeting, timezone.localdate(last))


def session_files(meetings: QuerySet[Meeting]) -> list[tuple[str, str, str]]:
    """(stored name, original name, sha256) of every file of the sessions: their materials
    and uploaded minutes, every version."""
    found = [
        (m.file.name, f"session-material-{m.pk}-{m.original_name}", m.sha256)
        for m in SessionMaterial.objects.filter(meeting__in=meetings)
    ]
    found += [
        (m.file.name, f"minutes-{m.pk}-v{m.version}-{m.original_name}", m.sha256)
        for m in MeetingMinutes.objects.filter(meeting__in=meetings)
    ]
    return found


def delete_meeting_rows(meetings: QuerySet[Meeting]) -> dict[str, int]:
    """Every row of the sessions, children first (the foreign keys protect); the caller
    collects their files (session_files) before, and deletes them after the commit."""
    removed: dict[str, int] = {}

    def delete(label: str, queryset: QuerySet) -> None:
        count = queryset.delete()[0]
        if count:
            removed[label] = count

    ids = list(meetings.values_list("pk", flat=True))
    if not ids:
        return removed
    for label, count in delete_minutes(Minutes.objects.filter(meeting_id__in=ids)).items():
        removed[label] = removed.get(label, 0) + count
    Meeting.objects.filter(pk__in=ids).update(published_minutes=None)
    delete("meeting_minutes", MeetingMinutes.objects.filter(meeting_id__in=ids))
    delete("election", Election.objects.filter(meeting_id__in=ids))
    delete("session_material", SessionMaterial.objects.filter(meeting_id__in=ids))
    delete("attendance", Attendance.objects.filter(meeting_id__in=ids))
    delete("agenda_item", AgendaItem.objects.filter(meeting_id__in=ids))
    delete("meeting", Meeting.objects.filter(pk__in=ids))
    return removed


def delete_minutes(records: QuerySet[Minutes]) -> dict[str, int]:
    """Minutes written in Kairan (a session's, or a written deliberation's record) with every
    version, passage, check and publication step: the public record goes with them."""
    removed: dict[str, int] = {}
    ids = list(records.values_list("pk", flat=True))
    if not ids:
        return removed
    for label, queryset in (
        ("record_publication", Publication.objects.filter(minutes_id__in=ids)),
        ("minutes_check", MinutesCheck.objects.filter(minutes_id__in=ids)),
        ("minutes_checker", MinutesChecker.objects.filter(minutes_id__in=ids)),
        ("minutes_part", MinutesPart.objects.filter(version__minutes_id__in=ids)),
        ("minutes_version", MinutesVersion.objects.filter(minutes_id__in=ids)),
        ("minutes", Minutes.objects.filter(pk__in=ids)),
    ):
        count = queryset.delete()[0]
        if count:
            removed[label] = count
    return removed


def unlink_from_agendas(circulation_id: int) -> int:
    """Agenda items of other sessions that link the circulation (or its consultation) keep
    their text and lose the link; returns how many."""
    linked = AgendaItem.objects.filter(
        Q(circulation_id=circulation_id) | Q(consultation__circulation_id=circulation_id)
    ).exclude(meeting__circulation_id=circulation_id)
    return linked.update(circulation=None, consultation=None)
