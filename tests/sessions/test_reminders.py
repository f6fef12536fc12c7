"""出欠の督促: beat reminds the invitees who have not answered, once, three days before;
never after the start or for a cancelled session."""

from __future__ import annotations

import datetime as dt

import pytest

from circulation.jobs.due import run_due_work
from circulation.mail.meeting import ATTENDANCE_REMINDER
from circulation.services.attendance import answer_attendance
from circulation.services.meetings import cancel_meeting
from portal.models import AuditEntry
from tests.sessions.helpers import addresses, mails

pytestmark = pytest.mark.django_db


def test_those_who_have_not_answered_are_reminded_once(council, moments, session, time_machine):
    answer_attendance(session.pk, by=council.chair, answer="attend")
    answer_attendance(session.pk, by=council.members[2], answer="absent")
    time_machine.move_to(moments.attendance_reminder_at - dt.timedelta(minutes=1), tick=False)
    assert run_due_work().attendance_reminders == []
    time_machine.move_to(moments.attendance_reminder_at, tick=False)
    assert run_due_work().attendance_reminders == [session.pk]
    assert addresses(ATTENDANCE_REMINDER) == [
        "suzuki@example.jp", "takahashi@example.jp", "tanaka@example.jp"
    ]  # fmt: skip
    reminder = mails(ATTENDANCE_REMINDER, to_email="tanaka@example.jp")[0]
    assert reminder.subject.startswith("【出欠のご確認】第1回")
    assert "出席: http" in reminder.body_text
    time_machine.move_to(moments.attendance_reminder_at + dt.timedelta(hours=1), tick=False)
    assert run_due_work().attendance_reminders == []
    assert len(mails(ATTENDANCE_REMINDER)) == 3
    assert AuditEntry.objects.filter(action="meeting.attendance_reminder.queued").count() == 1


def test_a_cancelled_session_reminds_nobody(council, moments, session, time_machine):
    cancel_meeting(None, meeting_id=session.pk, by=council.secretariat, reason="延期",
                   base_version=1)  # fmt: skip
    time_machine.move_to(moments.attendance_reminder_at, tick=False)
    assert run_due_work().attendance_reminders == []
    assert mails(ATTENDANCE_REMINDER) == []


def test_a_session_scheduled_after_the_reminder_moment_gets_none(council, moments, time_machine):
    from tests.sessions.helpers import schedule_first

    time_machine.move_to(moments.attendance_reminder_at + dt.timedelta(hours=1), tick=False)
    schedule_first(council, moments)
    time_machine.move_to(moments.starts_at - dt.timedelta(hours=1), tick=False)
    assert run_due_work().attendance_reminders == []


def test_the_day_before_a_session_everyone_invited_gets_the_reminder(
    council, moments, session, time_machine
):
    from circulation.mail.delivery import deliver
    from circulation.mail.meeting import REMINDER
    from tests.sessions.helpers import INVITED

    time_machine.move_to(session.reminder_at, tick=False)
    assert run_due_work().meeting_reminders == [session.pk]
    assert addresses(REMINDER) == INVITED
    tanaka = mails(REMINDER, to_email="tanaka@example.jp")[0]
    assert tanaka.subject.startswith("【会議の前日のご案内】第1回")
    assert deliver(tanaka.pk) == "sent"
    # Cancelled meanwhile: the reminder still waiting is not sent.
    cancel_meeting(None, meeting_id=session.pk, by=council.secretariat, reason="延期",
                   base_version=1)  # fmt: skip
    assert deliver(mails(REMINDER, to_email="ito@example.jp")[0].pk) == "cancelled"
