"""Rows of a few hot, written-out SELECTs turned into model instances the way the ORM does.

Why: on the member's circulation page and the reply POST, building the ORM's query (a
select_related join, a subquery annotation) costs more than running it — about 1 ms for the
permission gate's read alone, on every circulation page. The statements that need it are
written out once per process from the models' own fields (`Table.columns`), so a field added
to a model is read without touching them; the values go through the same converters the
ORM's compiler applies (dates on SQLite, JSON, booleans), and `Model.from_db` makes the
instances, as a queryset would.

Only plain reads by primary or unique keys belong here; anything with a filter a person
could get wrong stays in the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]
ColumnConverters = tuple[int, list[Converter], Any]  # position, converters, expression


class Table(Generic[M]):
    """A model's concrete columns in a written-out SELECT, under a table alias.

    `columns()` is the select list, `instance(row, start)` the model instance made of that
    row's values from `start` on (None when its primary key is NULL: a LEFT JOIN that found
    nothing), `width` the number of values it takes."""

    def __init__(self, model: type[M], alias: str = "") -> None:
        self.model = model
        self.alias = alias or model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.width = len(self.fields)
        self._pk_index = self.fields.index(model._meta.pk)
        # connection alias -> (column index, its converters) for the columns that have any
        # (the compiler's own choice; on PostgreSQL only JSON columns, on SQLite also dates)
        self._converters: dict[str, list[ColumnConverters]] = {}

    def columns(self, connection: BaseDatabaseWrapper) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(field.column)}" for field in self.fields)

    def _column_converters(self, connection: BaseDatabaseWrapper) -> list[ColumnConverters]:
        known = self._converters.get(connection.alias)
        if known is None:
            columns = [field.get_col(self.alias) for field in self.fields]
            known = self._converters[connection.alias] = column_converters(columns, connection)
        return known

    def instance(self, row: Sequence[Any], start: int, connection: BaseDatabaseWrapper) -> M | None:
        values = list(row[start : start + self.width])
        if values[self._pk_index] is None:
            return None
        convert_row(values, self._column_converters(connection), connection)
        return self.model.from_db(connection.alias, self.attnames, values)


def column_converters(
    expressions: Sequence[Any], connection: BaseDatabaseWrapper
) -> list[ColumnConverters]:
    """For each selected expression that has any, its position, its converters and itself:
    what SQLCompiler.get_converters chooses (the backend's, then the field's)."""
    found = []
    for position, expression in enumerate(expressions):
        # A new list: the backend's may be one it keeps.
        converters = [
            *connection.ops.get_db_converters(expression),
            *expression.get_db_converters(connection),
        ]
        if converters:
            found.append((position, converters, expression))
    return found


def convert_row(
    values: list[Any], converters: list[ColumnConverters], connection: BaseDatabaseWrapper
) -> None:
    """Apply `column_converters` to one row's values, in place, as the ORM does."""
    for position, found, expression in converters:
        value = values[position]
        for converter in found:
            value = converter(value, expression, connection)
        values[position] = value


def cache_related(instance: models.Model, field_name: str, related: models.Model | None) -> None:
    """What select_related leaves on `instance`: the related object (or None) in the
    forward relation's cache, so that reading it costs no query."""
    field = instance._meta.get_field(field_name)
    field.set_cached_value(instance, related)  # type: ignore[union-attr]
