"""A worker's claim on its batch is a lease that it renews while it sends. A worker that dies
stops renewing: once the lease lapses its rows go to the next batch that starts (or to the
sweep), so nobody's notice waits for long. A worker stuck longer than its lease loses its
rows the same way, and at most the one message it was sending arrives twice.

Time is frozen; each message "takes" as long as the test's relay says (the clock moves while
the scripted SMTP backend sends)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core import mail

from circulation.mail import delivery
from circulation.models import OutboxMessage
from tests.mail_engine.backends import ScriptedBackend, queue_plain_mails, sent_to

S = OutboxMessage.State
T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)  # tests/mail_engine/conftest.py: KAIRAN_MAIL_LEASE_SECONDS


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def slow_relay(smtp, monkeypatch, clock):
    """Each message takes `seconds[0]` seconds (then the next value, the last one repeating);
    `during(index)` runs while the message numbered `index` is being sent."""

    class Relay:
        seconds: list[float] = [0.0]
        during = staticmethod(lambda index: None)
        sent = 0

    relay = Relay()
    send = ScriptedBackend.send_messages

    def slowly(self, messages):
        index = relay.sent
        relay.sent += 1
        clock.shift(dt.timedelta(seconds=relay.seconds[min(index, len(relay.seconds) - 1)]))
        relay.during(index)
        return send(self, messages)

    monkeypatch.setattr(ScriptedBackend, "send_messages", slowly)
    return relay


def lease_of(pk: int) -> dt.datetime:
    return OutboxMessage.objects.values_list("leased_until", flat=True).get(pk=pk)


def test_a_claim_holds_for_the_lease_and_a_row_held_is_not_taken(db, broker, clock):
    held, other = queue_plain_mails(2)
    delivery.claim(held.pk)
    assert lease_of(held.pk) == T0 + LEASE

    clock.shift(LEASE - dt.timedelta(seconds=1))
    assert delivery.deliver_batch([other.pk]) == {other.pk: delivery.SENT}
    assert OutboxMessage.objects.get(pk=held.pk).state == S.SENDING
    assert delivery.sweep()["requeued_stuck"] == 0


def test_a_worker_renews_its_lease_as_it_sends_so_nobody_takes_its_rows(
    db, broker, slow_relay, clock
):
    rows = queue_plain_mails(6)
    # Eight seconds a message: the batch takes 48 s, longer than the lease (30 s).
    slow_relay.seconds = [8.0]
    sweeps: list[dict[str, int]] = []
    slow_relay.during = lambda index: sweeps.append(delivery.sweep())

    outcomes = delivery.deliver_batch([row.pk for row in rows])

    assert set(outcomes.values()) == {delivery.SENT}
    assert all(counts["requeued_stuck"] == 0 for counts in sweeps)
    assert Counter(sent_to()) == Counter(row.to_email for row in rows)  # once each


def test_rows_of_a_worker_that_died_go_to_the_next_batch_once_its_lease_lapsed(db, broker, clock):
    died_with = queue_plain_mails(3, "held")
    later, then = queue_plain_mails(2, "later")
    delivery.claim_batch([row.pk for row in died_with])  # ...and the worker was killed

    clock.shift(LEASE - dt.timedelta(seconds=1))
    assert delivery.deliver_batch([later.pk]) == {later.pk: delivery.SENT}  # not yet
    clock.shift(dt.timedelta(seconds=2))
    outcomes = delivery.deliver_batch([then.pk])

    assert outcomes == {row.pk: delivery.SENT for row in [*died_with, then]}
    assert sorted(sent_to()) == sorted(row.to_email for row in [*died_with, later, then])
    taken_over = OutboxMessage.objects.filter(pk__in=[row.pk for row in died_with])
    assert {row.attempts for row in taken_over} == {2}


def test_a_worker_stuck_longer_than_its_lease_loses_its_rows_and_one_message_at_most_twice(
    db, broker, slow_relay, clock
):
    first, second, third = queue_plain_mails(3)
    # The relay takes 45 s over the first message; meanwhile (the lease lapsed at 30 s)
    # another worker's batch starts and takes the three rows over.
    slow_relay.seconds = [45.0, 0.0]
    slow_relay.during = lambda index: (
        delivery.deliver_batch([]) if index == 0 else None
    )  # the other worker's sends are numbered 1, 2 and 3

    outcomes = delivery.deliver_batch([first.pk, second.pk, third.pk])

    # The stuck worker's first message was accepted in the end, and the other worker had
    # sent it too: the one duplicate. The other two it no longer holds, so it skips them.
    assert outcomes == {first.pk: delivery.SENT}
    assert Counter(sent_to()) == {first.to_email: 2, second.to_email: 1, third.to_email: 1}
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {S.SENT}


def test_a_stuck_worker_records_nothing_over_rows_another_worker_took_over(
    db, broker, smtp, slow_relay, clock
):
    first, second = queue_plain_mails(2)
    slow_relay.seconds = [45.0]
    # While the relay keeps the first message 45 s, another worker's batch starts and takes
    # both rows over (their lease lapsed at 30 s)...
    taken: list[list[OutboxMessage]] = []
    slow_relay.during = lambda index: (
        taken.append(delivery.claim_batch([], take_over=50)) if index == 0 else None
    )
    # ...and then the relay gives up on the stuck worker.
    smtp.script = [TimeoutError("timed out")]

    assert delivery.deliver_batch([first.pk, second.pk]) == {first.pk: delivery.RETRY}

    # Neither its failure nor its giving back the rest is written over the other claim.
    assert [row.pk for row in taken[0]] == [first.pk, second.pk]
    for row in OutboxMessage.objects.all():
        assert (row.state, row.attempts, row.last_error) == (S.SENDING, 2, "")
        assert row.claimed_at == T0 + dt.timedelta(seconds=45)
    assert mail.outbox == []
