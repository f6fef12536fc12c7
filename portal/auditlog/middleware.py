"""Refusals that no permission gate logged still reach the audit log.

The gates in portal.permissions log every refusal with the object they refused; this
middleware (placed after portal.middleware.AuditContextMiddleware) adds the request path to
the audit origin for them, and logs, without an object, any 403/404 that a view raised on
its own (e.g. a `get_object_or_404` that bypassed the gates) for a logged-in person.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from portal import audit
from portal.models import AuditEntry


class RefusalAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = dataclasses.replace(audit.current_origin(), path=request.path[:500])
        token = audit.set_origin(origin)
        try:
            return self.get_response(request)
        finally:
            audit.reset_origin(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if not isinstance(exception, Http404 | PermissionDenied):
            return None
        if getattr(exception, "audit_logged", False) or not request.user.is_authenticated:
            return None  # the gate logged it; anonymous 404s are web noise, not refusals
        audit.record(
            "access.refused",
            actor=request.user,
            result=AuditEntry.Result.REFUSED,
            data={
                "url": request.path[:500],
                "permission": "",
                "status": 404 if isinstance(exception, Http404) else 403,
                "gate": "none",
            },
        )
        return None  # Django renders the 403/404 as usual
