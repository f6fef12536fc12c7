"""What one request has already asked the permission rules.

A page asks the same questions many times (the gate, then the view, the template's context
processors, the MFA middleware): the answers are kept for the length of one request, so
that each costs one query per request. Outside a request (services run by Celery, tests
calling the rules directly) nothing is kept and every call asks the database.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import Any

from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save

from portal.models import Committee, Membership


class RequestMemo:
    def __init__(self) -> None:
        # (user id, day) -> the person's memberships on that day, with their committees,
        # in the committees' order
        self.memberships: dict[tuple[int, dt.date], list[Membership]] = {}
        # (committee id, day) -> the chair's and acting chair's memberships that day
        self.deciders: dict[tuple[int, dt.date], list[Membership]] = {}


_memo: contextvars.ContextVar[RequestMemo | None] = contextvars.ContextVar(
    "kairan_permissions_memo", default=None
)


def current() -> RequestMemo | None:
    """This request's memo, or None outside a request."""
    return _memo.get()


def _open(**kwargs: Any) -> None:
    _memo.set(RequestMemo())


def _close(**kwargs: Any) -> None:
    _memo.set(None)


def _forget(**kwargs: Any) -> None:
    """A membership or committee changed during the request: ask again from now on."""
    if _memo.get() is not None:
        _memo.set(RequestMemo())


request_started.connect(_open, dispatch_uid="kairan.permissions.open_memo")
request_finished.connect(_close, dispatch_uid="kairan.permissions.close_memo")
for _model in (Membership, Committee):
    _uid = f"kairan.permissions.forget.{_model.__name__}"
    post_save.connect(_forget, sender=_model, dispatch_uid=_uid)
    post_delete.connect(_forget, sender=_model, dispatch_uid=_uid)
