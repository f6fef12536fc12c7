"""The `sent` mark of a delivered message, sent to PostgreSQL without waiting for its answer.

A worker records each message the SMTP server accepted with one UPDATE before it starts the
next message. Waiting for that round trip cost a fifth of a worker's time (docs/performance.md).
On PostgreSQL the statement is handed to the server with libpq's asynchronous API: it travels
as its own transaction (libpq ends it with a Sync), so the server commits it whether or not we
ever read the answer, and the window for a duplicate is the one we had — from the server's
"250" until the statement has left this process. The answer is read before the connection is
used for anything else: before the next mark, before any other query (`sent_ahead()` puts a
wrapper around every query of the batch) and when the batch ends. Meanwhile the worker
composes and sends the next message.

Outside `sent_ahead()`, and on SQLite, inside a transaction (the tests) or with a driver other
than psycopg 3, the UPDATE runs and is waited for, as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from circulation.models import OutboxMessage

log = logging.getLogger(__name__)

try:  # psycopg 3's own waiting loops: the same ones its cursors use
    from psycopg import generators as _pg_generators
    from psycopg.errors import error_from_result as _error_from_result
    from psycopg.pq import DiagnosticField as _DiagnosticField
    from psycopg.pq import ExecStatus as _ExecStatus

    _DIAG_SQLSTATE = _DiagnosticField.SQLSTATE
except ImportError:  # pragma: no cover - psycopg 3 is a dependency; SQLite-only installs
    _pg_generators = None

_SENT = OutboxMessage.State.SENT
_STATEMENT = b"kairan_outbox_sent_mark"
# Not conditional on `sending`: if the sweep re-queued the row meanwhile, recording that it
# went out stops a second copy (unless another worker already sent it). Written out, as it
# runs once per message: the ORM's compilation of it doubled its cost (docs/performance.md).
_SQL = (
    "UPDATE {table} SET state = {p1}, sent_at = {p2}, message_id = {p3}"
    " WHERE id = {p4} AND state <> {p1}"
)


class _InFlight(threading.local):
    """Per thread, as Django's connections are: the psycopg connection with an answer still
    to read and the row it is about; `enabled` while a batch runs inside sent_ahead()."""

    connection: Any = None
    pk: int | None = None
    enabled = False
    prepared_on: Any = None  # the psycopg connection that has the statement prepared


_pending = _InFlight()


@contextmanager
def sent_ahead() -> Iterator[None]:
    """Within: marks are sent ahead, and every query first reads the answer in flight."""
    connection = transaction.get_connection()
    _pending.enabled = True
    try:
        with connection.execute_wrapper(_answer_first):
            yield
    finally:
        _pending.enabled = False
        settle()


def _answer_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    settle()
    return execute(sql, params, many, context)


def record_sent(message_pk: int, message_id: str) -> None:
    """Mark the row sent, with the time and its Message-ID."""
    settle()
    connection = transaction.get_connection()
    connection.ensure_connection()
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    sent_at = timezone.now()
    raw = connection.connection
    if (
        not _pending.enabled
        or _pg_generators is None
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not hasattr(raw, "pgconn")
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                _SQL.format(table=table, p1="%s", p2="%s", p3="%s", p4="%s"),
                [
                    _SENT,
                    connection.ops.adapt_datetimefield_value(sent_at),
                    message_id,
                    message_pk,
                    _SENT,
                ],
            )
        return
    # As Django's own cursors: psycopg's errors become django.db's, and a broken connection
    # is marked so that it is replaced before the next task (close_old_connections).
    with connection.wrap_database_errors:
        _prepare_once(raw, _SQL.format(table=table, p1="$1", p2="$2", p3="$3", p4="$4"))
        raw.pgconn.send_query_prepared(
            _STATEMENT,
            [
                _SENT.encode(),
                sent_at.isoformat().encode(),
                message_id.encode(),
                str(message_pk).encode(),
            ],
        )
        _pending.connection, _pending.pk = raw, message_pk
        raw.wait(_pg_generators.send(raw.pgconn))  # every byte handed to the kernel


def _prepare_once(raw: Any, statement: str) -> None:
    """A prepared statement per connection: the server parses and plans the mark once, which
    halved its CPU per message (docs/performance.md)."""
    if _pending.prepared_on is raw:
        return
    raw.pgconn.send_prepare(_STATEMENT, statement.encode())
    raw.wait(_pg_generators.send(raw.pgconn))
    for result in raw.wait(_pg_generators.fetch_many(raw.pgconn)):
        sqlstate = result.error_field(_DIAG_SQLSTATE)
        if result.status != _ExecStatus.COMMAND_OK and sqlstate != b"42P05":  # already there
            raise _error_from_result(result, encoding=raw.info.encoding)
    _pending.prepared_on = raw


def settle() -> None:
    """Read the answer to the mark in flight, if any; raise if the server refused it."""
    raw, message_pk = _pending.connection, _pending.pk
    if raw is None:
        return
    _pending.connection, _pending.pk = None, None
    if raw.closed:
        # Whether the server committed it is unknown: the sweep may send this message again.
        log.warning(
            "outbox: the connection closed before the sent mark of %s was answered", message_pk
        )
        return
    with transaction.get_connection().wrap_database_errors:
        for result in raw.wait(_pg_generators.fetch_many(raw.pgconn)):
            if result.status != _ExecStatus.COMMAND_OK:
                log.warning("outbox: the sent mark of %s failed", message_pk)
                # psycopg's own exception for the server's error (a lost connection is an
                # OperationalError): Django's wrapper above turns it into django.db's.
                raise _error_from_result(result, encoding=raw.info.encoding)
