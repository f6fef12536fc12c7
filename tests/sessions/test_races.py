"""Two beat runs, or a member's two clicks, at the same moment on PostgreSQL: one 出欠の督促
per person, one answer recorded last-wins without a lost row."""

from __future__ import annotations

import pytest
import time_machine

from circulation.jobs.attendance import queue_due_attendance_reminders
from circulation.mail.meeting import ATTENDANCE_REMINDER
from circulation.models import Attendance
from circulation.services.attendance import answer_attendance
from portal.models import AuditEntry
from tests.meetings.test_meeting_races import race
from tests.sessions.helpers import ANSWERING, Moments, addresses, schedule_first

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_beat_runs_at_once_remind_each_member_once(council):
    moments = Moments()
    with time_machine.travel(moments.scheduled_at, tick=False):
        schedule_first(council, moments)
    with time_machine.travel(moments.attendance_reminder_at, tick=False):
        now = moments.attendance_reminder_at
        race(lambda: queue_due_attendance_reminders(now),
             lambda: queue_due_attendance_reminders(now))  # fmt: skip
    assert addresses(ATTENDANCE_REMINDER) == ANSWERING
    assert AuditEntry.objects.filter(action="meeting.attendance_reminder.queued").count() == 1


def test_two_answers_at_once_leave_one_row_with_one_of_them(council):
    moments = Moments()
    with time_machine.travel(moments.scheduled_at, tick=False):
        session = schedule_first(council, moments)
        tanaka = council.members[0]
        results = race(
            lambda: answer_attendance(session.pk, by=tanaka, answer="attend"),
            lambda: answer_attendance(session.pk, by=tanaka, answer="absent"),
        )
    assert results == ["done", "done"]
    rows = Attendance.objects.filter(meeting=session, user=tanaka)
    assert rows.count() == 1 and rows.get().answer in ("attend", "absent")
    assert AuditEntry.objects.filter(action="session.attendance.answered").count() == 2
