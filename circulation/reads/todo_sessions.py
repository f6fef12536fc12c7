"""やること of sessions (会議), registered in reads/todo.py's PROVIDERS:

- a member: sessions not yet started whose attendance they have not answered;
- the secretariat: sessions that have ended without the attendance recorded.

Each is one query over every council where it applies, whatever their number.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from circulation.models import Attendance, Meeting
from circulation.reads.todo_items import Seats, TodoItem
from portal.models import SITTING_ROLES, Role


def _title(meeting: Meeting) -> str:
    return meeting.circulation.title if meeting.circulation_id else meeting.label


def attendance_to_answer(seats: Seats) -> list[TodoItem]:
    """Sessions the person is asked to attend, not started, not cancelled, unanswered."""
    sitting = seats.committees(*SITTING_ROLES)
    if not sitting:
        return []
    rows = Attendance.objects.filter(
        user=seats.user,
        answer=Attendance.Answer.UNANSWERED,
        meeting__committee_id__in=sitting,
        meeting__state=Meeting.State.SCHEDULED,
        meeting__starts_at__gt=seats.now,
    ).select_related("meeting__circulation")
    # Only what an item shows: the statement is built on every visit of the home page.
    rows = rows.only(
        "meeting__committee",
        "meeting__number",
        "meeting__title",
        "meeting__starts_at",
        "meeting__circulation__title",
    )
    return [
        TodoItem(
            kind="attendance",
            label=_("出欠の回答"),
            committee=sitting[row.meeting.committee_id],
            title=_title(row.meeting),
            url=reverse("session_detail", args=[row.meeting_id]),
            action=_("出欠を回答する"),
            due=row.meeting.starts_at,
        )
        for row in rows
    ]


def attendance_to_record(seats: Seats) -> list[TodoItem]:
    """Sessions of the secretariat's councils that have ended, not cancelled, without the
    attendance recorded."""
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    meetings = Meeting.objects.filter(
        committee_id__in=councils,
        state=Meeting.State.SCHEDULED,
        ends_at__lte=seats.now,
        attendance_recorded_at__isnull=True,
    ).select_related("circulation")
    return [
        TodoItem(
            kind="record_attendance",
            label=_("出席の記録"),
            committee=councils[m.committee_id],
            title=_title(m),
            url=reverse("session_record", args=[m.pk]),
            action=_("出席者と傍聴者数を記録する"),
            due=m.ends_at,
            since=m.ends_at,
        )
        for m in meetings
    ]
