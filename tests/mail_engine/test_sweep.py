"""The sweep finds what the broker lost: rows whose task never arrived (Redis down at
commit) and rows a killed worker left in `sending` (its lease lapsed); running it twice
changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from circulation.mail import delivery
from circulation.models import OutboxMessage
from tests.circulation.helpers import sent_circulation

S = OutboxMessage.State
T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def lost_notices(council, broker, django_capture_on_commit_callbacks):
    """Five notices committed while the broker was down: nothing was handed over."""
    with (
        time_machine.travel(T0, tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        circulation = sent_circulation(council, deadline=T0 + dt.timedelta(days=9))
    assert len(callbacks) == 1  # one hand-over of all five, dropped as a dead broker would
    return list(OutboxMessage.objects.filter(circulation=circulation).order_by("pk"))


def sweep_at(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return delivery.sweep()


def test_rows_whose_task_was_lost_are_enqueued_after_a_grace_period(
    lost_notices, broker, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # Right after the commit the task may still be on its way: the sweep leaves the rows.
    assert sweep_at(T0 + dt.timedelta(seconds=30), capture)["enqueued"] == 0
    counts = sweep_at(T0 + dt.timedelta(seconds=61), capture)
    assert counts["enqueued"] == 5
    assert broker == [row.pk for row in lost_notices]
    # A second sweep (or one running at the same time) does not hand them over again...
    assert sweep_at(T0 + dt.timedelta(seconds=62), capture)["enqueued"] == 0
    # ...but if that hand-over was lost too, a later sweep tries again.
    assert sweep_at(T0 + dt.timedelta(seconds=125), capture)["enqueued"] == 5
    for pk in broker[:5]:
        delivery.deliver(pk)
    assert len(mail.outbox) == 5
    assert sweep_at(T0 + dt.timedelta(seconds=300), capture)["enqueued"] == 0


def test_a_row_left_in_sending_by_a_killed_worker_is_handed_over_when_its_lease_lapses(
    lost_notices, broker, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    row = lost_notices[0]
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        delivery.claim(row.pk)  # ...and the worker died before sending: nobody renews it
    with time_machine.travel(T0 + dt.timedelta(seconds=2), tick=False):
        for other in lost_notices[1:]:
            delivery.deliver(other.pk)
    broker.clear()

    # While the lease holds (30 s from the claim), the send may still be in progress.
    counts = sweep_at(T0 + dt.timedelta(seconds=30), capture)
    assert counts == {"requeued_stuck": 0, "failed_stuck": 0, "enqueued": 0}
    # Lapsed: back to the queue and to the broker at once, whenever the row was created.
    counts = sweep_at(T0 + dt.timedelta(seconds=32), capture)
    assert counts == {"requeued_stuck": 1, "failed_stuck": 0, "enqueued": 1}
    assert broker == [row.pk]
    row.refresh_from_db()
    assert row.state == S.QUEUED and "re-queued" in row.last_error
    # A second sweep does not hand it over again.
    assert sweep_at(T0 + dt.timedelta(seconds=33), capture)["enqueued"] == 0
    with time_machine.travel(T0 + dt.timedelta(seconds=33), tick=False):
        assert delivery.deliver(row.pk) == delivery.SENT
    row.refresh_from_db()
    assert row.attempts == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.to_email for r in lost_notices)


def test_a_message_that_kills_its_worker_every_time_fails_in_the_end(
    lost_notices, broker, django_capture_on_commit_callbacks, settings
):
    settings.KAIRAN_MAIL_MAX_ATTEMPTS = 2
    row = lost_notices[0]
    moment = T0
    for _ in range(2):
        moment += dt.timedelta(seconds=700)
        with time_machine.travel(moment, tick=False):
            assert delivery.claim(row.pk) is not None  # the worker dies every time
        sweep_at(moment + dt.timedelta(seconds=601), django_capture_on_commit_callbacks)
        moment += dt.timedelta(seconds=601)
    row.refresh_from_db()
    assert row.state == S.FAILED


def test_a_row_waiting_for_its_backoff_is_not_enqueued_early(
    lost_notices, broker, django_capture_on_commit_callbacks
):
    row = lost_notices[0]
    OutboxMessage.objects.filter(pk__in=[r.pk for r in lost_notices[1:]]).update(state=S.SENT)
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=T0 + dt.timedelta(minutes=10), attempts=1
    )
    capture = django_capture_on_commit_callbacks
    assert sweep_at(T0 + dt.timedelta(minutes=5), capture)["enqueued"] == 0
    assert sweep_at(T0 + dt.timedelta(minutes=10), capture)["enqueued"] == 1
