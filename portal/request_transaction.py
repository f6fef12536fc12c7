"""One database transaction per request, so that a request commits (and waits for the disk)
once: the view's writes — a service's change, its audit entry and outbox rows, the view log —
and the session's save (SESSION_SAVE_EVERY_REQUEST) commit together. See
docs/architecture.md, "One transaction per request".

Placed in MIDDLEWARE before SessionMiddleware (so the session's save is inside) and after
WhiteNoise (static files need no transaction). Services keep their own `transaction.atomic()`:
inside this one each becomes a savepoint, which still rolls back alone when the service fails,
and `on_commit` callbacks (the outbox's hand-over to the broker) run after the one commit.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

# Paths, as portal/urls.py mounts them, served outside the request's transaction:
OUTSIDE = (
    # allauth (log in, MFA set-up, …): its MFA flows add their success message and send
    # their mail from an on_commit callback, which must run before the response is finished;
    # inside a transaction held until the response is complete, the message would be lost.
    "/accounts/",
    # The demo's mail reader (DEBUG or KAIRAN_DEMO only) reads files, never the database.
    "/demo/",
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
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(OUTSIDE):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
