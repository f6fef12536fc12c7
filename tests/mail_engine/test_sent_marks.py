"""On PostgreSQL a worker sends each message's `sent` mark ahead and reads the answer later
(circulation/mail/sent_marks.py). The marks must still all land, land even when the worker dies
before reading the answer, and a refused mark must be reported, not lost."""

from __future__ import annotations

import os
import socket

import pytest
from django.core import mail
from django.db import DataError, connection, transaction

from circulation.mail import delivery, sent_marks
from circulation.models import OutboxMessage
from tests.mail_engine.backends import queue_plain_mails

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
S = OutboxMessage.State


class CountingGenerators:
    """psycopg's generators, counting the marks handed over without waiting."""

    def __init__(self, real: object) -> None:
        self.real, self.sends = real, 0

    def send(self, pgconn: object) -> object:
        self.sends += 1
        return self.real.send(pgconn)

    def fetch_many(self, pgconn: object) -> object:
        return self.real.fetch_many(pgconn)


def test_every_message_of_a_batch_is_recorded_sent_with_its_message_id(smtp, broker, monkeypatch):
    rows = queue_plain_mails(5)
    generators = CountingGenerators(sent_marks._pg_generators)
    monkeypatch.setattr(sent_marks, "_pg_generators", generators)

    outcomes = delivery.deliver_batch([row.pk for row in rows])

    assert set(outcomes.values()) == {delivery.SENT}
    assert generators.sends == 1 + 5  # the statement prepared once, then each mark sent ahead
    assert sent_marks._pending.connection is None  # nothing left unanswered
    for row in rows:
        row.refresh_from_db()
        assert row.state == S.SENT
        assert row.sent_at is not None
        assert row.message_id.endswith("@city.example.jp>")  # the one given when queued
    assert len(mail.outbox) == 5


def test_a_new_database_connection_gets_the_statement_prepared_again(smtp, broker):
    first, second = queue_plain_mails(2)
    delivery.deliver_batch([first.pk])
    connection.close()  # as after CONN_MAX_AGE, or a database restart

    assert delivery.deliver_batch([second.pk]) == {second.pk: delivery.SENT}
    second.refresh_from_db()
    assert second.state == S.SENT


def test_a_mark_sent_ahead_is_committed_even_if_the_worker_dies_before_the_answer(broker):
    (row,) = queue_plain_mails(1)
    OutboxMessage.objects.filter(pk=row.pk).update(state=S.SENDING)

    with sent_marks.sent_ahead():
        sent_marks.record_sent(row.pk, delivery.message_id_for(row.pk))
        assert sent_marks._pending.connection is not None  # sent, its answer not read
        # What a SIGKILL leaves: the socket goes away without a word and nothing is read.
        dead = socket.socket(fileno=os.dup(connection.connection.pgconn.socket))
        dead.shutdown(socket.SHUT_RDWR)
        dead.close()
        sent_marks._pending.connection = None
    connection.close()

    row.refresh_from_db()  # on a new connection
    assert row.state == S.SENT
    assert row.message_id == delivery.message_id_for(row.pk)


def test_a_refused_mark_is_reported_and_the_connection_goes_on_working(broker):
    (row,) = queue_plain_mails(1)

    with pytest.raises(DataError, match="too long"), sent_marks.sent_ahead():
        sent_marks.record_sent(row.pk, "<" + "x" * 400 + "@city.example.jp>")  # too long
        assert sent_marks._pending.connection is not None
        OutboxMessage.objects.count()  # any other query reads the answer first

    row.refresh_from_db()
    assert row.state == S.QUEUED
    assert OutboxMessage.objects.filter(pk=row.pk).exists()


def test_inside_a_transaction_the_mark_is_written_and_waited_for(db, broker):
    (row,) = queue_plain_mails(1)

    with sent_marks.sent_ahead(), transaction.atomic():
        sent_marks.record_sent(row.pk, delivery.message_id_for(row.pk))
        assert sent_marks._pending.connection is None
        row.refresh_from_db()
        assert row.state == S.SENT


def test_a_connection_lost_mid_batch_is_reported_and_replaced_before_the_next_task(broker):
    import psycopg
    from django.db import OperationalError, close_old_connections

    first, second = queue_plain_mails(2)
    with sent_marks.sent_ahead():
        sent_marks.record_sent(first.pk, delivery.message_id_for(first.pk))
    # The database restarts (or the connection is cut) while the worker is in its batch.
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or "postgres",
        dbname=database["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

    with pytest.raises(OperationalError), sent_marks.sent_ahead():  # django.db's, not psycopg's
        sent_marks.record_sent(second.pk, delivery.message_id_for(second.pk))
        sent_marks.settle()

    assert connection.errors_occurred  # so the worker's next task starts on a new connection
    close_old_connections()
    second.refresh_from_db()  # on the new connection
    assert second.state == S.QUEUED  # not marked: the sweep will send it again (a duplicate)
