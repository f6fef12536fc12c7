"""Counting the SQL statements of one request, as production would see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Transaction control is not counted: in the tests every atomic block is a savepoint inside
# the test's transaction, whereas in production it is a BEGIN/COMMIT that Django does not log.
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements_of(action: Callable[[], Any]) -> list[str]:
    """The SQL statements that `action` runs (transaction control left out)."""
    # The connection keeps at most 9,000 statements; building a large council fills it, and a
    # full log would make the capture's slice wrong.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        action()
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].lstrip().upper().startswith(_TRANSACTION_CONTROL)
    ]


def describe(statements: list[str]) -> str:
    return "\n".join(f"  {index + 1:2}. {sql[:160]}" for index, sql in enumerate(statements))
