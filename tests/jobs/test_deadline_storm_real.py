"""A deadline storm on real parts: two beat ticks at once hand the same due set to the broker
(Redis), two worker processes (PostgreSQL) close and summarise, a real SMTP server receives.
Each circulation is closed once and each summary arrives once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.conf import settings
from django.db import connections

from circulation.jobs import due
from circulation.models import Circulation, OutboxMessage
from portal.models import AuditEntry
from tests.circulation.helpers import sent_circulation
from tests.decision.helpers import committee_with_members
from tests.mail_engine.realparts import (
    SmtpSink,
    Worker,
    database_url_of,
    purge_celery_queue,
    worker_env,
)

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.hand_over,
    pytest.mark.django_db(transaction=True),
]

COUNCILS = 12


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def workers(sink, tmp_path):
    purge_celery_queue()
    env = worker_env(database_url_of(settings.DATABASES["default"]), sink.port, tmp_path)
    running = [
        Worker(env, tmp_path / f"worker{i}.log", concurrency=2, beat=False).start()
        for i in range(2)
    ]
    yield running
    for worker in running:
        worker.stop()


def test_two_ticks_and_two_workers_close_each_circulation_once_and_summarise_once(
    council, sink, workers
):
    # Past, and past the grace a reply in flight gets (KAIRAN_REPLY_GRACE_SECONDS).
    deadline = dt.datetime.now(dt.UTC) - dt.timedelta(
        seconds=settings.KAIRAN_REPLY_GRACE_SECONDS + 1
    )
    with time_machine.travel(deadline - dt.timedelta(days=3), tick=False):
        circulations = []
        for index in range(COUNCILS):
            committee, _ = committee_with_members(f"嵐の審議会{index}", 4, council.secretariat)
            circulations.append(
                sent_circulation(
                    dataclasses.replace(council, committee=committee),
                    deadline=deadline,
                    title=f"年度末の書面照会{index:02d}",
                )
            )

    barrier = threading.Barrier(2)

    def tick(_: int) -> due.DueWorkReport:
        try:
            barrier.wait(timeout=10)
            return due.run_due_work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(tick, range(2)))
    assert all(report.errors == 0 for report in reports)
    handed = [pk for report in reports for pk in report.handed.get("closes", [])]
    assert set(handed) == {c.pk for c in circulations}

    wanted = 2 * COUNCILS  # each council: its chair and the secretariat

    def summaries() -> list[tuple[str, str]]:
        """(recipient, subject) of every closing summary the SMTP server accepted (the
        notices of the sending went through it too)."""
        return [
            # Django folds a long Japanese subject right after "Subject:" (a leading space).
            (to.lower(), str(item.message["Subject"]).lstrip())
            for item in sink.messages()
            for to in item.to
            if str(item.message["Subject"]).lstrip().startswith("【締切】")
        ]

    sink.wait_for(lambda: len(summaries()) >= wanted, 90, "every closing summary")
    time.sleep(2)  # a duplicate would arrive within this
    assert Circulation.objects.filter(state=Circulation.State.CLOSED).count() == COUNCILS
    assert AuditEntry.objects.filter(action="circulation.closed").count() == COUNCILS
    assert OutboxMessage.objects.filter(purpose="circulation.closing_summary").count() == wanted
    received = Counter(summaries())
    assert len(received) == wanted and max(received.values()) == 1  # each once
    for circulation in circulations:  # the chair and the secretariat got this one's
        assert sum(circulation.title in subject for _, subject in received) == 2
