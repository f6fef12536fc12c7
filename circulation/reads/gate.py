"""The two reads on the way of every reply, written out once per process (portal/sql_rows.py
says why): the permission gate's circulation with the person's receipt, and the reply
service's locked receipt. What they mean is decided elsewhere: portal/permissions.py decides
who may see what, services/replies.py what a reply may change."""

from __future__ import annotations

from functools import cache

from django.db import connection

from circulation.models import Circulation, Recipient, Reply
from portal.models import Committee, User
from portal.sql_rows import Table, cache_related

_circulation = Table(Circulation)
_committee = Table(Committee)
_recipient = Table(Recipient)
_reply = Table(Reply)
_user = Table(User)


def _column(table: Table, field: str) -> str:
    """A column of the table, quoted, as `alias.column`: the model's own names."""
    q = connection.ops.quote_name
    column = table.model._meta.get_field(field).column  # type: ignore[union-attr]
    return f"{q(table.alias)}.{q(column)}"


def _join(kind: str, table: Table, on: str) -> str:
    return f" {kind} JOIN {connection.ops.quote_name(table.alias)} ON {on}"


@cache
def _gate_sql() -> str:
    c, m, r, v = _circulation, _committee, _recipient, _reply
    selected = ", ".join(t.columns(connection) for t in (c, m, r, v))
    # The receipt is the person's row on the unique (circulation, user) index: at most one.
    # Names come from the models; every value is a parameter.
    return (
        f"SELECT {selected} FROM {connection.ops.quote_name(c.alias)}"  # noqa: S608
        + _join("INNER", m, f"{_column(m, 'id')} = {_column(c, 'committee')}")
        + _join(
            "LEFT OUTER",
            r,
            f"{_column(r, 'circulation')} = {_column(c, 'id')} AND {_column(r, 'user')} = %s",
        )
        + _join("LEFT OUTER", v, f"{_column(v, 'id')} = {_column(r, 'current_reply')}")
        + f" WHERE {_column(c, 'id')} = %s"
    )


def circulation_with_receipt(
    circulation_id: int, user_id: int | None
) -> tuple[Circulation | None, Recipient | None]:
    """The circulation with its committee, and the person's Recipient row of it (or None)
    with its current reply, in one statement. `user_id` None (nobody logged in) finds no
    receipt. Instances are as `select_related` would leave them."""
    with connection.cursor() as cursor:
        cursor.execute(_gate_sql(), [user_id, circulation_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    circulation = _circulation.instance(row, 0, connection)
    start = _circulation.width
    cache_related(circulation, "committee", _committee.instance(row, start, connection))
    start += _committee.width
    recipient = _recipient.instance(row, start, connection)
    if recipient is not None:
        cache_related(recipient, "circulation", circulation)
        reply = _reply.instance(row, start + _recipient.width, connection)
        cache_related(recipient, "current_reply", reply)
    return circulation, recipient


@cache
def _locked_sql() -> str:
    r, c, m, v, u = _recipient, _circulation, _committee, _reply, _user
    selected = ", ".join(t.columns(connection) for t in (r, c, m, v, u))
    lock = ""
    if connection.features.has_select_for_update:  # SQLite has none (and needs none)
        lock = " FOR UPDATE"
        if connection.features.has_select_for_update_of:
            lock += f" OF {connection.ops.quote_name(r.alias)}"
    return (
        f"SELECT {selected} FROM {connection.ops.quote_name(r.alias)}"  # noqa: S608
        + _join("INNER", c, f"{_column(c, 'id')} = {_column(r, 'circulation')}")
        + _join("INNER", m, f"{_column(m, 'id')} = {_column(c, 'committee')}")
        + _join("LEFT OUTER", v, f"{_column(v, 'id')} = {_column(r, 'current_reply')}")
        + _join("INNER", u, f"{_column(u, 'id')} = {_column(r, 'user')}")
        + f" WHERE {_column(r, 'id')} = %s{lock}"
    )


def locked_receipt(recipient_id: int) -> Recipient:
    """The Recipient row locked for update (only it: the circulation is read, not locked),
    with its circulation and committee, current reply and person, as
    `select_for_update(of=("self",)).select_related(...)` would read them. Must be called
    inside a transaction. Raises Recipient.DoesNotExist."""
    with connection.cursor() as cursor:
        cursor.execute(_locked_sql(), [recipient_id])
        row = cursor.fetchone()
    if row is None:
        raise Recipient.DoesNotExist("Recipient matching query does not exist.")
    recipient = _recipient.instance(row, 0, connection)
    start = _recipient.width
    circulation = _circulation.instance(row, start, connection)
    start += _circulation.width
    cache_related(circulation, "committee", _committee.instance(row, start, connection))
    start += _committee.width
    cache_related(recipient, "circulation", circulation)
    reply = _reply.instance(row, start, connection)
    if recipient.current_reply_id is not None and (
        reply is None or reply.pk != recipient.current_reply_id
    ):
        # Another reply was saved while this statement waited for the lock. PostgreSQL then
        # returns the locked row as it is now, but the joined rows as of the statement's
        # start: the new reply is missing. Read it now that it is committed (only then).
        reply = Reply.objects.get(pk=recipient.current_reply_id)
    cache_related(recipient, "current_reply", reply)
    cache_related(recipient, "user", _user.instance(row, start + _reply.width, connection))
    return recipient
