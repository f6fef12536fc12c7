"""The tracking page's two queries on every request — the counts of the whole circulation and
one page of its recipients — compiled by the ORM once per process, database and filter.

Why: on the tracking page of a 1,000-recipient circulation, building and compiling these two
querysets cost the ORM about as long as the database took to answer them (eight filtered
counts; a page of rows with their people and a subquery of their openings), on every
request. The SQL is the ORM's own, written with a stand-in for the circulation's id
(`_MARK`); each request puts the id in a copy of the parameters, runs the statement and
applies the converters Django would (SQLite returns dates as text). The page's recipients
are then built as the ORM builds them (`Model.from_db`).

Nothing about a query is kept but its text, parameters and selected expressions: the
statement counts and results are those of the querysets they come from, which
tests/circulation/test_tracking*.py and the query budgets exercise on SQLite and which the
benchmarks run on PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from circulation.models import Circulation, MaterialOpening, OutboxMessage, Recipient
from portal.models import User
from portal.sql_rows import column_converters, convert_row

_MARK = -7_000_001  # stands for the circulation's id in a compiled query

# What the rows show of a recipient (tracking_html.py); their person's name comes with them.
_ROW_COLUMNS = ("id", "circulation_id", "user_id", "role", "first_opened_at", "current_reply_id")
_ROW_SELECT = (*_ROW_COLUMNS, "user__full_name", "materials_opened")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    marks: frozenset[int]  # positions of the circulation's id among the parameters
    expressions: tuple[Any, ...]  # the selected columns, for their converters

    def run(
        self, alias: str, circulation_id: int, tail: str = "", tail_params: Sequence[Any] = ()
    ) -> tuple[list[str], list[list[Any]]]:
        """The column names and the converted rows for `circulation_id`; `tail` is SQL put
        after the compiled statement (LIMIT and OFFSET)."""
        params = [circulation_id if i in self.marks else p for i, p in enumerate(self.params)]
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql + tail, [*params, *tail_params])
            names = [column[0] for column in cursor.description]
            rows = [list(row) for row in cursor.fetchall()]
        converters = column_converters(self.expressions, connection)
        for row in rows:
            convert_row(row, converters, connection)
        return names, rows


def _compile(alias: str, queryset: QuerySet) -> _Compiled:
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    marks = frozenset(i for i, value in enumerate(params) if value == _MARK)
    if not marks:  # the ORM wrote the query differently: say so, do not guess
        raise RuntimeError("a compiled tracking query does not name the circulation")
    expressions = tuple(column[0] for column in compiler.select[: compiler.col_count])
    return _Compiled(sql, tuple(params), marks, expressions)


@functools.cache
def _counts_query(alias: str, conditions: tuple[tuple[str, Q], ...]) -> _Compiled:
    failed = OutboxMessage.objects.filter(
        circulation_id=OuterRef("circulation_id"), state=OutboxMessage.State.FAILED
    )
    queryset = (
        Recipient.objects.using(alias)
        .filter(circulation_id=_MARK)
        .order_by()
        .values("circulation_id")  # one group: this circulation's recipients
        .annotate(**{name: Count("pk", filter=where) for name, where in conditions})
        .annotate(failed_mail=Exists(failed))
    )
    return _compile(alias, queryset)


def counts(
    circulation: Circulation, conditions: tuple[tuple[str, Q], ...]
) -> dict[str, int | bool]:
    """How many of the circulation's recipients (joined to their current reply) meet each
    named condition, and whether any of its mail failed (`failed_mail`), in one statement.
    Empty if the circulation has no recipients."""
    alias = circulation._state.db or "default"
    names, rows = _counts_query(alias, conditions).run(alias, circulation.pk)
    return dict(zip(names, rows[0], strict=True)) if rows else {}


def materials_opened(circulation_id: int | OuterRef) -> Subquery:
    """How many of the circulation's current materials a row's person opened, distinct: a
    corrected material counts only once its new version has been opened (the old one was
    not what is in force). A subquery of the rows' query, which PostgreSQL runs for the
    page's rows only, after sorting and limiting."""
    return Subquery(
        MaterialOpening.objects.filter(
            user_id=OuterRef("user_id"),
            material__circulation_id=circulation_id,
            material__is_current=True,
        )
        .order_by()
        .values("user_id")
        .annotate(count=Count("material_id", distinct=True))
        .values("count")
    )


@functools.cache
def _rows_query(alias: str, where: Q) -> _Compiled:
    queryset = (
        Recipient.objects.using(alias)
        .filter(where, circulation_id=_MARK)
        .annotate(materials_opened=materials_opened(_MARK))
        .order_by(*Recipient._meta.ordering)  # by name, then id: the table's order
        .values_list(*_ROW_SELECT)
    )
    query = queryset.query
    if (*query.values_select, *query.annotation_select) != _ROW_SELECT:
        raise RuntimeError("the tracking rows' query selects its columns in another order")
    return _compile(alias, queryset)


class PageRows:
    """The circulation's recipients under a filter, as the paginator slices them: each
    slice is one statement (LIMIT and OFFSET) giving Recipients with their people's names
    and `materials_opened`, in the table's order."""

    def __init__(self, circulation: Circulation, where: Q) -> None:
        self.circulation = circulation
        self.where = where

    def __getitem__(self, index: slice) -> list[Recipient]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("PageRows takes a slice without a step")
        start, stop = index.start or 0, index.stop
        if stop is not None and stop <= start:
            return []
        alias = self.circulation._state.db or "default"
        compiled = _rows_query(alias, self.where)
        # LIMIT -1 / NULL would differ by database: a page always has an end.
        limit = (stop - start) if stop is not None else 2**31 - 1
        _names, rows = compiled.run(
            alias, self.circulation.pk, " LIMIT %s OFFSET %s", [limit, start]
        )
        found = []
        width = len(_ROW_COLUMNS)
        for row in rows:
            recipient = Recipient.from_db(alias, _ROW_COLUMNS, row[:width])
            recipient.user = User.from_db(alias, ("id", "full_name"), (row[2], row[width]))
            recipient.circulation = self.circulation  # as the related manager sets it
            recipient.materials_opened = row[width + 1]  # type: ignore[attr-defined]
            found.append(recipient)
        return found
