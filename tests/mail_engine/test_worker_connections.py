"""A worker keeps its database connection from one task to the next, as a web process keeps
it from one request to the next: a new PostgreSQL connection per task cost more than the mail
the task delivers. Broken or old connections are still replaced, and an eager task (run
inside the caller's transaction) never touches the caller's connection."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from portal.celery import _close_old_database_connections, app


def a_task(*, eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_celery_is_told_not_to_close_every_connection_around_every_task():
    assert app.conf.get("CELERY_DB_REUSE_MAX")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_healthy_connection_is_kept_for_the_next_task():
    connection.ensure_connection()
    before = connection.connection

    _close_old_database_connections(task=a_task(eager=False))

    assert connection.connection is before


@pytest.mark.postgres  # SQLite's in-memory test database is never really closed
@pytest.mark.django_db(transaction=True)
def test_a_connection_past_its_age_is_replaced_before_the_next_task():
    connection.ensure_connection()
    connection.close_at = 0.0  # CONN_MAX_AGE has run out

    _close_old_database_connections(task=a_task(eager=False))

    assert connection.connection is None  # the next query opens a new one


@pytest.mark.django_db
def test_an_eager_task_leaves_the_callers_transaction_alone():
    with transaction.atomic():
        _close_old_database_connections(task=a_task(eager=True))
        assert connection.in_atomic_block
        assert connection.connection is not None
