"""One database transaction per request, so that a request commits (and waits for the disk)
once: the view's writes — a service's change, its audit entry and outbox rows, the view log —
and the session's save (SESSION_SAVE_EVERY_REQUEST) commit together. See
docs/architecture.md, "One transaction per request".

Placed in MIDDLEWARE before SessionMiddleware (so the session's save is inside) and after
WhiteNoise (static files need no transaction). Services keep their own `transaction.atomic()`:
inside this one each becomes a savepoint, which still rolls back alone when the service fails,
and `on_commit` callbacks (the outbox's hand-over to the broker) run after the one commit —
once the response has been sent (see `_take_commit_callbacks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

# Paths, as portal/urls.py mounts them, served outside the request's transaction:
OUTSIDE = (
    # allauth (log in, MFA set-up, …): its MFA flows add their success message and send
    # their mail from an on_commit callback, which must run before the response is finished;
    # inside a transaction held until the response is complete, the message would be lost.
    "/accounts/",
    # The demo's mail reader (DEBUG or KAIRAN_DEMO only) reads files, never the database.
    "/demo/",
    # The probes: /healthz must answer while the database is down; /readyz asks it itself.
    "/healthz",
    "/readyz",
)


class RequestTransactionMiddleware:
    """Runs the rest of the request inside `transaction.atomic()`.

    - Commits when the response is anything but a server error. A 403 or 404 is an answer,
      not a failure: the refusal's `access.refused` entry (portal.permissions.refuse,
      portal.auditlog.middleware) must be kept, as it was before this middleware.
    - Rolls back on a 5xx response (Django has already turned an uncaught exception into
      one): a view that wrote and then failed leaves nothing half-done. A service that
      failed inside its own atomic block was already rolled back to its savepoint.
    - A failed commit raises, and the handler answers 500: never a success page for
      changes that were not saved.
    - Streamed responses (downloads) are streamed after the commit: the view has opened
      the file; nothing is read from the database while streaming.
    - The transaction's `on_commit` callbacks run after the response has been sent, not
      between the commit and the response (`_take_commit_callbacks`); inside an outer
      transaction (tests) they stay with it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(OUTSIDE):
            return self.get_response(request)
        connection = transaction.get_connection()
        outermost = not connection.in_atomic_block
        after_response: list[Callable[[], None]] = []
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            elif outermost and not response.streaming and not connection.needs_rollback:
                after_response = _take_commit_callbacks(connection)
        # Committed (a failed commit raised above, and the callbacks taken are dropped with it).
        for callback in after_response:
            response._resource_closers.append(callback)
        return response


def _take_commit_callbacks(connection: BaseDatabaseWrapper) -> list[Callable[[], None]]:
    """The `on_commit` callbacks of the request's transaction, taken from it to run once the
    response has been sent (the WSGI server's `close()`), not before.

    Why: they only hand work on (the outbox's rows to the broker, a stashed upload to be
    removed), about 1 ms after a reply, and nothing they do can change a response that is
    already built; the rows are committed, and the outbox's sweep hands over any that a dead
    process did not. A callback registered with `robust=True` has its error logged and
    swallowed, as Django does; any other's error is logged too (the response is gone).
    Django keeps the callbacks in `run_on_commit` as (savepoint ids, callback, robust)."""
    taken, connection.run_on_commit = connection.run_on_commit, []
    return [_logged(callback, robust) for _sids, callback, robust in taken]


def _logged(callback: Callable[[], None], robust: bool) -> Callable[[], None]:
    def run() -> None:
        try:
            callback()
        except Exception:
            log.exception(
                "after the response: %s callback %r failed",
                "robust" if robust else "on_commit",
                callback,
            )

    return run
