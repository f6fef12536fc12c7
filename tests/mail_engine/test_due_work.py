"""Beat's due work: closes at the deadline (once), reminds a chair who has not decided
(once, secretariat copied), records a heartbeat, and costs the same number of queries for
one open circulation as for fifty."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation.jobs.due import beat_is_stale, run_due_work
from circulation.mail.reminders import CHAIR_REMINDER, REMINDER
from circulation.models import Circulation, Heartbeat, OutboxMessage
from portal.models import AuditEntry, Membership, Role
from tests.circulation.helpers import sent_circulation

T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2026, 9, 10, 8, 0, tzinfo=dt.UTC)
# Closing waits the grace for replies still inside the server (KAIRAN_REPLY_GRACE_SECONDS).
CLOSES = DEADLINE + dt.timedelta(seconds=settings.KAIRAN_REPLY_GRACE_SECONDS)
DAY = dt.timedelta(days=1)


def run(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return run_due_work(now=moment)


@pytest.fixture
def circulation(council, broker) -> Circulation:
    with time_machine.travel(T0, tick=False):
        return sent_circulation(council, deadline=DEADLINE)


def summaries() -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(purpose="circulation.closing_summary").values_list(
            "to_email", flat=True
        )
    )


def test_the_circulation_closes_at_its_deadline_once(council, circulation, settings):
    """Once the grace for replies still waiting inside the server has passed too (a reply
    that arrived before the deadline is recorded before the summary counts)."""
    settings.KAIRAN_REPLY_GRACE_SECONDS = 30
    closing = DEADLINE + dt.timedelta(seconds=30)
    assert run(DEADLINE - dt.timedelta(milliseconds=1)).closed == []
    # The tick before the moment hands the close over to run at it (a Celery ETA; here it
    # waits for the next run of due work that reaches the moment).
    assert run(closing - dt.timedelta(milliseconds=1)).handed["closes"] == [circulation.pk]
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.OPEN
    run(closing)
    assert run(closing + dt.timedelta(seconds=30)).closed == []
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.CLOSED
    assert circulation.closed_at == closing
    expected = [council.secretariat, council.chair, council.acting_chair]
    assert summaries() == sorted(p.email for p in expected)


def chair_reminders() -> list[tuple[str, str]]:
    return sorted(
        OutboxMessage.objects.filter(purpose=CHAIR_REMINDER).values_list("to_email", "key")
    )


def test_a_chair_who_has_not_decided_after_three_days_gets_one_reminder_secretariat_copied(
    council, circulation
):
    run(CLOSES)
    assert run(CLOSES + 3 * DAY - dt.timedelta(seconds=1)).chair_reminders == []
    assert run(CLOSES + 3 * DAY).chair_reminders == [circulation.pk]
    assert chair_reminders() == [
        (council.secretariat.email, "secretariat"),
        (council.chair.email, "decider"),
    ]
    assert run(CLOSES + 4 * DAY).chair_reminders == []
    assert len(chair_reminders()) == 2
    circulation.refresh_from_db()
    assert circulation.chair_reminded_at == CLOSES + 3 * DAY
    to_chair = OutboxMessage.objects.get(purpose=CHAIR_REMINDER, key="decider")
    assert "開催の要否" in to_chair.subject and "山田 会長 様" in to_chair.body_text
    copy = OutboxMessage.objects.get(purpose=CHAIR_REMINDER, key="secretariat")
    assert "【写し】" in copy.subject and "山田 会長" in copy.body_text
    assert AuditEntry.objects.filter(action="circulation.chair_reminder.queued").count() == 1


def test_with_the_chair_marked_absent_the_acting_chair_is_reminded(council, circulation):
    council.committee.chair_absent = True
    council.committee.chair_reminder_days = 1
    council.committee.save()
    run(CLOSES)
    run(CLOSES + DAY)
    assert chair_reminders() == [
        (council.secretariat.email, "secretariat"),
        (council.acting_chair.email, "decider"),
    ]


def test_a_decided_circulation_gets_no_chair_reminder(council, circulation):
    run(CLOSES)
    Circulation.objects.filter(pk=circulation.pk).update(state=Circulation.State.DECIDED)
    run(CLOSES + 5 * DAY)
    assert chair_reminders() == []


def test_the_chair_reminder_is_claimed_by_compare_and_swap(council, circulation):
    run(CLOSES)
    # Another beat run claimed it a moment ago.
    Circulation.objects.filter(pk=circulation.pk).update(chair_reminded_at=CLOSES + 3 * DAY)
    assert run(CLOSES + 3 * DAY).chair_reminders == []
    assert chair_reminders() == []


def test_each_run_records_the_heartbeat_and_silence_is_noticed_after_five_minutes(db):
    assert beat_is_stale(T0)  # never ran
    run(T0)
    assert Heartbeat.objects.get(name="due_work").at == T0
    assert not beat_is_stale(T0 + dt.timedelta(minutes=4, seconds=59))
    assert beat_is_stale(T0 + dt.timedelta(minutes=5, seconds=1))
    run(T0 + dt.timedelta(minutes=5))
    assert not beat_is_stale(T0 + dt.timedelta(minutes=5, seconds=1))
    assert Heartbeat.objects.count() == 1


def test_the_secretariat_sees_a_warning_when_beat_is_silent(client, council):
    client.force_login(council.secretariat)
    warning = "定期処理(Celery beat)が5分以上動いていません"
    assert warning in client.get("/").content.decode()
    run_due_work()
    assert warning not in client.get("/").content.decode()
    with time_machine.travel(dt.timedelta(minutes=6)):
        page = client.get("/").content.decode()
    assert warning in page and 'role="alert"' in page


def test_members_are_not_shown_the_beat_warning(client, council):
    client.force_login(council.members[0])
    assert "Celery beat" not in client.get("/").content.decode()


def test_the_beat_warning_is_in_english_for_english_readers(client, council):
    client.force_login(council.secretariat)
    client.cookies["django_language"] = "en"
    page = client.get("/").content.decode()
    assert "Warning: the periodic jobs (Celery beat) have not run for more than 5 minutes" in page


def _open_circulations(council, n: int) -> None:
    for i in range(n):
        circulation = sent_circulation(council, deadline=DEADLINE, title=f"書面照会 {i}")
        assert circulation.state == Circulation.State.OPEN


def count_queries(moment: dt.datetime) -> int:
    with CaptureQueriesContext(connection) as queries:
        run(moment)
    return len(queries)


@pytest.mark.parametrize("n", [1, 50])
def test_due_work_costs_a_constant_number_of_queries(council, broker, n):
    with time_machine.travel(T0, tick=False):
        _open_circulations(council, n)
    run(T0)  # the very first run also creates the heartbeat row
    # Nothing due (a quiet tick) and everything already reminded (a busy one) alike.
    assert count_queries(DEADLINE - 100 * dt.timedelta(hours=1)) == QUIET_QUERIES
    run(DEADLINE - 72 * dt.timedelta(hours=1))
    assert OutboxMessage.objects.filter(purpose=REMINDER).count() == 5 * n
    assert count_queries(DEADLINE - 71 * dt.timedelta(hours=1)) == QUIET_QUERIES


# committees, due closes, due reminders, due chair reminders, due meeting reminders, the
# councils' months for open riders, due rider reminders, due attendance reminders, heartbeat
QUIET_QUERIES = 9


def test_a_member_whose_seat_ended_is_not_the_decider(council, circulation):
    Membership.objects.filter(committee=council.committee, role=Role.CHAIR).update(
        term_end=dt.date(2026, 9, 1)
    )
    run(CLOSES)
    run(CLOSES + 3 * DAY)
    assert (council.acting_chair.email, "decider") in chair_reminders()
