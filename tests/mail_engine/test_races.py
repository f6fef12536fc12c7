"""Two beat ticks at once (two threads, each with its own PostgreSQL connection): one close,
one summary per person, one chair reminder."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.conf import settings
from django.db import connections

from circulation.jobs.due import DueWorkReport, run_due_work
from circulation.mail.reminders import CHAIR_REMINDER
from circulation.models import Circulation, OutboxMessage
from portal.models import AuditEntry
from tests.circulation.helpers import sent_circulation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2026, 9, 10, 8, 0, tzinfo=dt.UTC)
# Closing waits the grace for replies still inside the server (KAIRAN_REPLY_GRACE_SECONDS).
CLOSES = DEADLINE + dt.timedelta(seconds=settings.KAIRAN_REPLY_GRACE_SECONDS)


def two_ticks_at_once(moment: dt.datetime) -> list[DueWorkReport]:
    barrier = threading.Barrier(2)

    def tick(_: int) -> DueWorkReport:
        try:
            barrier.wait(timeout=10)
            return run_due_work(now=moment)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(tick, range(2)))


def test_two_ticks_at_once_close_each_circulation_once_and_summarise_once(council, broker):
    with time_machine.travel(T0, tick=False):
        circulations = [
            sent_circulation(council, deadline=DEADLINE, title=f"書面照会 {i}") for i in range(4)
        ]
    reports = two_ticks_at_once(CLOSES + dt.timedelta(seconds=1))

    closed = [pk for report in reports for pk in report.closed]
    assert sorted(closed) == sorted(c.pk for c in circulations)  # each closed by one tick
    assert all(report.errors == 0 for report in reports)
    for circulation in circulations:
        circulation.refresh_from_db()
        assert circulation.state == Circulation.State.CLOSED
        summaries = OutboxMessage.objects.filter(
            circulation=circulation, purpose="circulation.closing_summary"
        )
        assert summaries.count() == 3  # chair, acting chair, secretariat: once each
    assert AuditEntry.objects.filter(action="circulation.closed").count() == 4


def test_two_ticks_at_once_remind_the_chair_once(council, broker):
    with time_machine.travel(T0, tick=False):
        circulation = sent_circulation(council, deadline=DEADLINE)
    run_due_work(now=CLOSES)
    reports = two_ticks_at_once(CLOSES + dt.timedelta(days=3))
    assert sum(len(report.chair_reminders) for report in reports) == 1
    rows = OutboxMessage.objects.filter(circulation=circulation, purpose=CHAIR_REMINDER)
    assert sorted(rows.values_list("key", flat=True)) == ["decider", "secretariat"]
