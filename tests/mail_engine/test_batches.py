"""Rows are handed to the broker per transaction, in batches, and a worker sends a batch over
one connection; trouble with the server holds back the rest of the batch, trouble with one
recipient does not."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from circulation.mail import delivery, outbox, tasks
from circulation.models import OutboxMessage
from tests.circulation.helpers import sent_circulation
from tests.mail_engine.backends import queue_plain_mails

S = OutboxMessage.State
T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)


def test_one_transaction_is_handed_over_once_in_batches_of_fifty(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    published: list[list[int]] = []
    monkeypatch.setattr(
        tasks.deliver_outbox_batch, "apply_async", lambda args, **kw: published.append(args[0])
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = queue_plain_mails(105, "m", purpose="test.batch")
    assert [len(batch) for batch in published] == [50, 50, 5]
    assert [pk for batch in published for pk in batch] == [row.pk for row in rows]


def queue_in_a_failed_change(n: int) -> None:
    """n rows queued by a change that fails: its savepoint is rolled back."""
    try:
        with transaction.atomic():
            queue_plain_mails(n, "dropped", purpose="test.batch")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass


def test_rows_of_a_rolled_back_savepoint_are_not_handed_over(
    db, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = queue_plain_mails(2, "kept", purpose="test.batch")
        queue_in_a_failed_change(3)
        kept += queue_plain_mails(1, "later", purpose="test.batch")
    assert broker == [row.pk for row in kept]


def test_the_hand_over_after_commit_reads_nothing_from_the_database(
    db, broker, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # A storm's thousands of closes each hand over their summaries: no re-read of the rows.
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        rows = queue_plain_mails(3, "m", purpose="test.batch")
        queue_in_a_failed_change(2)
    with django_assert_num_queries(0):
        for callback in callbacks:
            callback()
    assert broker == [row.pk for row in rows]


def test_mail_written_by_a_commit_callback_before_the_hand_over_is_handed_over(
    transactional_db, broker
):
    # T1 commits; a callback of T1 registered before its hand-over writes mail in a
    # transaction of its own (T2), which commits before T1's hand-over runs.
    later: list = []

    def write_more() -> None:
        with transaction.atomic():
            later.extend(queue_plain_mails(1, "later", purpose="test.batch"))

    with transaction.atomic():
        transaction.on_commit(write_more)
        first = queue_plain_mails(2, "first", purpose="test.batch")
    assert sorted(broker) == sorted(row.pk for row in first + later)


def test_with_the_broker_down_the_process_stops_trying_for_a_moment(db, monkeypatch):
    calls = []

    def down(args, **kwargs):
        calls.append(args)
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.deliver_outbox_batch, "apply_async", down)
    outbox.enqueue_delivery_batch(list(range(1, 101)))
    outbox.enqueue_delivery_batch([500])
    assert len(calls) == 1  # not 6: the rows wait for the sweep


@pytest.fixture
def five(council, broker):
    with time_machine.travel(T0, tick=False):
        circulation = sent_circulation(council, deadline=T0 + dt.timedelta(days=9))
    return [row.pk for row in OutboxMessage.objects.filter(circulation=circulation).order_by("pk")]


def test_a_batch_goes_out_over_one_connection(five, smtp):
    outcomes = delivery.deliver_batch(five)
    assert set(outcomes.values()) == {delivery.SENT}
    assert smtp.opened == 1 and len(mail.outbox) == 5


def test_a_server_in_trouble_holds_back_the_rest_of_the_batch(five, smtp):
    smtp.script = [None, smtplib.SMTPDataError(451, b"4.3.0 try again later")]
    with time_machine.travel(T0, tick=False):
        outcomes = delivery.deliver_batch(five)
    assert outcomes == {five[0]: delivery.SENT, five[1]: delivery.RETRY}
    rows = {row.pk: row for row in OutboxMessage.objects.filter(pk__in=five)}
    assert rows[five[1]].attempts == 1
    for pk in five[2:]:  # untried: no attempt counted, due with the retried one
        assert (rows[pk].state, rows[pk].attempts) == (S.QUEUED, 0)
        assert rows[pk].next_attempt_at == rows[five[1]].next_attempt_at


def test_one_recipient_in_trouble_does_not_hold_back_the_others(five, smtp):
    smtp.script = [smtplib.SMTPRecipientsRefused({"x": (450, b"mailbox busy")})]
    outcomes = delivery.deliver_batch(five)
    assert list(outcomes.values()) == [delivery.RETRY] + [delivery.SENT] * 4


def _notice_mail(address: str) -> outbox.Mail:
    return outbox.Mail(
        purpose="test.fanout", to=address, template="invitation", context={"url": "x"}
    )


def test_a_fan_out_is_written_with_one_insert_and_handed_over_once(
    db, monkeypatch, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    published: list[list[int]] = []
    monkeypatch.setattr(
        tasks.deliver_outbox_batch, "apply_async", lambda args, **kw: published.append(args[0])
    )
    mails = [_notice_mail(f"m{i}@example.jp") for i in range(30)]
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        django_assert_max_num_queries(3),  # savepoint, one INSERT, release
    ):
        assert outbox.queue_mails(mails) == 30

    rows = list(OutboxMessage.objects.filter(purpose="test.fanout").order_by("pk"))
    assert [row.to_email for row in rows] == [f"m{i}@example.jp" for i in range(30)]
    assert [pk for batch in published for pk in batch] == [row.pk for row in rows]


def test_a_fan_out_that_meets_an_existing_row_skips_only_that_one(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    published: list[list[int]] = []
    monkeypatch.setattr(
        tasks.deliver_outbox_batch, "apply_async", lambda args, **kw: published.append(args[0])
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = outbox.queue(_notice_mail("m1@example.jp"))
        assert outbox.queue_mails([_notice_mail(f"m{i}@example.jp") for i in range(3)]) == 2

    assert OutboxMessage.objects.filter(purpose="test.fanout").count() == 3
    handed_over = [pk for batch in published for pk in batch]
    assert sorted(handed_over) == sorted(OutboxMessage.objects.values_list("pk", flat=True))
    assert handed_over.count(first.pk) == 1


def test_the_same_mail_queued_twice_is_kept_once_and_the_transaction_goes_on(
    db, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = outbox.queue(_notice_mail("m1@example.jp"))
        again = outbox.queue(_notice_mail("m1@example.jp"))
        later = outbox.queue(_notice_mail("m2@example.jp"))  # the transaction is still usable

    assert first is not None and first.pk is not None and not first._state.adding
    assert again is None
    assert later is not None
    stored = OutboxMessage.objects.get(pk=first.pk)
    assert (stored.to_email, stored.subject, stored.state) == (
        "m1@example.jp",
        first.subject,
        S.QUEUED,
    )
    assert OutboxMessage.objects.filter(purpose="test.fanout").count() == 2
    assert broker == [first.pk, later.pk]


def test_a_small_batch_takes_other_waiting_rows_along_and_their_own_tasks_find_nothing(
    db, smtp, monkeypatch
):
    """A storm of closes queues thousands of three-summary batches: on a worker, the first
    task to run sends what is waiting, up to a full batch, over its one connection."""
    monkeypatch.setattr(outbox, "BATCH_SIZE", 5)
    with time_machine.travel(T0, tick=False):
        first = queue_plain_mails(3, "first", purpose="test.batch")
        second = queue_plain_mails(3, "second", purpose="test.batch")
        later = queue_plain_mails(1, "later", purpose="test.batch")
        OutboxMessage.objects.filter(pk=later[0].pk).update(
            next_attempt_at=T0 + dt.timedelta(minutes=5)  # waiting for a retry: not due
        )
        # Called as a worker calls it (not eagerly).
        outcomes = tasks.deliver_outbox_batch([r.pk for r in first])
        # Its own three, then the oldest waiting rows up to the batch size; not the one not due.
        assert list(outcomes) == [r.pk for r in first + second[:2]]
        assert smtp.opened == 1 and len(mail.outbox) == 5
        # The second close's task sends only what was left of its own.
        outcomes = tasks.deliver_outbox_batch([r.pk for r in second])
    assert outcomes == {second[2].pk: delivery.SENT}
    assert len(mail.outbox) == 6  # each once
    assert OutboxMessage.objects.get(pk=later[0].pk).state == S.QUEUED


def test_run_eagerly_a_delivery_task_sends_only_its_own_rows(db, smtp):
    """In the process that queued them (a web request, the MTA's pipe), nothing else waits on
    other people's mail."""
    with time_machine.travel(T0, tick=False):
        mine = queue_plain_mails(1, "mine", purpose="test.batch")
        queue_plain_mails(3, "others", purpose="test.batch")
        outcomes = tasks.deliver_outbox_batch.apply(([mine[0].pk],)).get()
    assert outcomes == {mine[0].pk: delivery.SENT} and len(mail.outbox) == 1


def test_delivering_named_rows_sends_only_those(five, smtp):
    outcomes = delivery.deliver_batch(five[:2])
    assert list(outcomes) == five[:2] and len(mail.outbox) == 2
