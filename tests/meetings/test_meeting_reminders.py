"""The day-before reminder (前日の案内): beat's due-work query sends it once per person at
09:00 Japan time the day before, never for a cancelled or past meeting, once more for a
meeting moved to a new time, and two runs of beat send it once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from circulation.jobs import due as due_work
from circulation.jobs.due import due_meeting_reminders, run_due_work
from circulation.mail.delivery import deliver
from circulation.mail.meeting import REMINDER
from circulation.models import Meeting, OutboxMessage
from circulation.services.meetings import cancel_meeting, change_meeting
from portal.models import AuditEntry
from tests.meetings.helpers import INVITED, addresses, details, meeting_label, schedule

pytestmark = pytest.mark.django_db


def run(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return run_due_work(now=moment)


def nine_the_day_before(starts: dt.datetime) -> dt.datetime:
    return (starts - dt.timedelta(days=1)).replace(hour=9, minute=0)


def test_the_reminder_goes_once_to_everyone_at_nine_the_day_before(council, convened):
    meeting = schedule(council, convened)
    due = nine_the_day_before(convened.starts_at)  # Wednesday 09:00 JST
    assert run(due - dt.timedelta(seconds=1)).meeting_reminders == []
    assert addresses(REMINDER) == []

    assert run(due).meeting_reminders == [meeting.pk]
    assert addresses(REMINDER) == INVITED
    assert run(due + dt.timedelta(seconds=30)).meeting_reminders == []  # the next tick
    assert run(due + dt.timedelta(hours=5)).meeting_reminders == []
    assert len(addresses(REMINDER)) == len(INVITED)

    mail = OutboxMessage.objects.get(purpose=REMINDER, to_email="tanaka@example.jp")
    when = meeting_label(convened.starts_at, convened.ends_at)
    assert mail.subject == f"【会議の前日のご案内】{convened.circulation.title}: {when}"
    assert f"開催日時: {when}" in mail.body_text
    assert mail.key == "v1"
    entry = AuditEntry.objects.get(action="meeting.reminder.queued")
    assert (entry.actor_label, entry.committee) == ("beat", council.committee)
    assert sorted(entry.data["to"]) == INVITED


def test_two_beat_runs_at_once_send_one_reminder(council, convened, monkeypatch):
    """The second run read the meeting as due before the first one claimed it: the
    compare-and-swap on the meeting stops it, and the outbox key would stop it too."""
    meeting = schedule(council, convened)
    due = nine_the_day_before(convened.starts_at)
    with time_machine.travel(due, tick=False):
        seen_by_second_run = list(due_meeting_reminders(due))
        assert [m.pk for m in seen_by_second_run] == [meeting.pk]
        assert run_due_work(now=due).meeting_reminders == [meeting.pk]  # the first run
        monkeypatch.setattr(due_work, "due_meeting_reminders", lambda now: seen_by_second_run)
        assert run_due_work(now=due).meeting_reminders == []  # the second one
    assert len(addresses(REMINDER)) == len(INVITED)
    assert AuditEntry.objects.filter(action="meeting.reminder.queued").count() == 1


def test_no_reminder_for_a_cancelled_meeting(council, convened):
    schedule(council, convened)
    cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="台風",
                   base_version=1)  # fmt: skip
    run(nine_the_day_before(convened.starts_at))
    run(convened.starts_at - dt.timedelta(minutes=1))
    assert addresses(REMINDER) == []


def test_no_reminder_for_a_meeting_already_past(council, convened):
    schedule(council, convened)
    # Beat was down from the day before until after the meeting began.
    assert run(convened.starts_at).meeting_reminders == []
    assert run(convened.ends_at + dt.timedelta(hours=1)).meeting_reminders == []
    assert addresses(REMINDER) == []


def test_beat_back_on_the_morning_of_the_meeting_still_reminds(council, convened):
    schedule(council, convened)
    run(convened.starts_at - dt.timedelta(hours=4))  # 10:00 on the day: not yet begun
    assert addresses(REMINDER) == INVITED


def test_a_meeting_moved_to_a_new_time_is_reminded_again_once(council, convened):
    schedule(council, convened)
    run(nine_the_day_before(convened.starts_at))
    assert len(addresses(REMINDER)) == len(INVITED)
    # Later that Wednesday the meeting is put off by a week.
    moment = nine_the_day_before(convened.starts_at) + dt.timedelta(hours=3)
    later = convened.starts_at + dt.timedelta(days=7)
    with time_machine.travel(moment, tick=False):
        change_meeting(convened.circulation.pk, by=council.secretariat, base_version=1,
                       details=details(convened, starts_at=later,
                                       ends_at=later + dt.timedelta(hours=2)))  # fmt: skip
    run(convened.starts_at)  # the old time: nothing
    assert len(addresses(REMINDER)) == len(INVITED)
    run(nine_the_day_before(later))
    run(nine_the_day_before(later) + dt.timedelta(minutes=1))
    keys = sorted(OutboxMessage.objects.filter(purpose=REMINDER, to_email="ito@example.jp")
                  .values_list("key", flat=True))  # fmt: skip
    assert keys == ["v1", "v2"]
    new = OutboxMessage.objects.get(purpose=REMINDER, to_email="ito@example.jp", key="v2")
    assert meeting_label(later, later + dt.timedelta(hours=2)) in new.body_text


def test_a_meeting_scheduled_after_nine_the_day_before_gets_no_reminder(council, convened):
    """Its invitation has just arrived: a reminder minutes later would only be noise."""
    tomorrow = convened.decided_at + dt.timedelta(days=1)
    starts = tomorrow.replace(hour=14)
    schedule(council, convened, starts_at=starts, ends_at=starts.replace(hour=16))
    assert Meeting.objects.get().reminder_at < Meeting.objects.get().version_at
    run(convened.decided_at + dt.timedelta(hours=2))
    run(starts - dt.timedelta(hours=1))
    assert addresses(REMINDER) == []


def test_a_reminder_waiting_in_the_outbox_is_dropped_when_the_meeting_is_cancelled(
    council, convened, broker
):
    schedule(council, convened)
    due = nine_the_day_before(convened.starts_at)
    run(due)
    waiting = OutboxMessage.objects.get(purpose=REMINDER, to_email="tanaka@example.jp")
    with time_machine.travel(due + dt.timedelta(minutes=1), tick=False):
        cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="台風",
                       base_version=1)  # fmt: skip
        assert deliver(waiting.pk) == "cancelled"
    waiting.refresh_from_db()
    assert waiting.state == OutboxMessage.State.CANCELLED
    assert "cancelled" in waiting.last_error


def test_a_reminder_waiting_for_a_changed_meeting_is_dropped(council, convened, broker):
    schedule(council, convened)
    due = nine_the_day_before(convened.starts_at)
    run(due)
    waiting = OutboxMessage.objects.get(purpose=REMINDER, to_email="tanaka@example.jp")
    with time_machine.travel(due + dt.timedelta(minutes=1), tick=False):
        change_meeting(convened.circulation.pk, by=council.secretariat, base_version=1,
                       details=details(convened, place="第2会議室"))  # fmt: skip
        assert deliver(waiting.pk) == "cancelled"


def test_a_reminder_for_a_standing_meeting_is_delivered(council, convened, broker):
    schedule(council, convened)
    due = nine_the_day_before(convened.starts_at)
    run(due)
    waiting = OutboxMessage.objects.get(purpose=REMINDER, to_email="tanaka@example.jp")
    with time_machine.travel(due + dt.timedelta(minutes=1), tick=False):
        assert deliver(waiting.pk) == "sent"
