"""On PostgreSQL a worker claims its batch in one short transaction: it takes the due, queued
rows that no other worker holds, and each row is claimed once (tests/mail_engine/test_delivery.py
covers the claim on every database)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone

from circulation.mail import delivery
from circulation.models import OutboxMessage
from tests.mail_engine.backends import queue_plain_mails

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
S = OutboxMessage.State


def test_a_batch_is_claimed_with_its_rows_as_changed(broker):
    rows = queue_plain_mails(3)

    claimed = delivery.claim_batch([row.pk for row in reversed(rows)])

    assert [message.pk for message in claimed] == [row.pk for row in rows]  # in id order
    assert all(message.state == S.SENDING and message.attempts == 1 for message in claimed)
    assert all(message.body_text == "本文" for message in claimed)  # whole rows, to send
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {S.SENDING}
    assert delivery.claim_batch([row.pk for row in rows]) == []  # no second claim


def test_rows_another_worker_holds_or_not_yet_due_are_left(broker):
    held, later, free = queue_plain_mails(3)
    OutboxMessage.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        claimed = delivery.claim_batch([held.pk, later.pk, free.pk])
    finally:
        release.set()
        thread.join(10)

    assert [message.pk for message in claimed] == [free.pk]
    assert [message.pk for message in delivery.claim_batch([held.pk])] == [held.pk]
