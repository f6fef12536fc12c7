"""Logs: JSON lines for log collectors (LOG_FORMAT=json), the request's context on every
line, and beat's and the worker's periodic ticks moved down to DEBUG.

- `JsonFormatter`: one JSON object per line, with the time (UTC), level, logger, message,
  and the ids known at that moment: request id, user id, council (committee) id, and the
  outbox row a delivery line is about (`extra={"outbox_id": …}`). Nothing personal beyond
  ids: mail addresses are masked in the message, whoever wrote them into it.
- `RequestLogContextMiddleware`: gives each request an id (the proxy's X-Request-ID when it
  is a plain token, else a new one; echoed in the response) and, once authenticated, the
  user's id. The permission gates add the council's id (`note_committee`).
- `QuietTicks`: beat sends its periodic tasks every 30 s and the worker reports each one
  received and done: useful when debugging, noise otherwise (a demo's terminal filled with
  them). They are logged at DEBUG instead of INFO.

Plain formatting is stdlib logging's; this module writes only the JSON object itself.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kairan_log_request_id", default=None
)
_user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "kairan_log_user_id", default=None
)
_committee_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "kairan_log_committee_id", default=None
)

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def note_committee(committee_id: int) -> None:
    """The council the current request works on (called by the permission gates)."""
    _committee_id.set(committee_id)


def current_request_id() -> str | None:
    return _request_id.get()


class RequestLogContextMiddleware:
    """After AuthenticationMiddleware: the request's id and its user's id for every line
    logged while it runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        tokens = [
            (_request_id, _request_id.set(request_id)),
            (_user_id, _user_id.set(None)),
            (_committee_id, _committee_id.set(None)),
        ]
        try:
            # request.user is lazy: reading its id here costs the session's read once, which
            # the rest of the request needs anyway; anonymous requests read nothing.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                _user_id.set(user.pk)
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            return response
        finally:
            for var, token in reversed(tokens):
                var.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_addresses(record.getMessage()),
            "request_id": _request_id.get(),
            "user_id": _user_id.get(),
            "committee_id": _committee_id.get(),
            "outbox_id": getattr(record, "outbox_id", None),
            "process": record.processName,
        }
        if record.exc_info:
            entry["exception"] = mask_addresses(self.formatException(record.exc_info))
        return json.dumps(
            {key: value for key, value in entry.items() if value is not None},
            ensure_ascii=False,
            default=str,
        )


def mask_addresses(text: str) -> str:
    return _ADDRESS.sub("[address]", text)


# The periodic tasks (portal/celery.py) whose every run beat and the worker report.
TICK_TASKS = (
    "circulation.tasks.run_due_work",
    "circulation.tasks.sweep_outbox",
    "due-work",
    "outbox-sweep",
)
# Beat's "Sending due task", the worker's "received" and "succeeded".
TICK_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class QuietTicks(logging.Filter):
    """On the console handler: a periodic task's routine lines become DEBUG, and pass only
    when their logger is set to DEBUG (LOG_LEVEL=DEBUG, or celery's -l DEBUG). Every other
    line, and a tick's failure (ERROR, WARNING), passes as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno == logging.INFO
            and record.name in TICK_LOGGERS
            and any(task in record.getMessage() for task in TICK_TASKS)
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True
