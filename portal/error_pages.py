"""Error pages that say what happened in the person's language and keep what they typed.

Django's own 403/404 pages are templates (templates/403.html, 404.html, 400.html, 500.html);
three cases need code: a refused CSRF check (the form was open too long, or the person logged
in again in another tab), where the page shows back the free text they had typed so that
nothing is lost; the database out of reach (503, below); and a 405 (a POST-only address
opened from the history), which Django answers with an empty body.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.defaults import server_error as django_server_error

# Seconds a browser (or a person) is asked to wait before trying again.
DATABASE_RETRY_AFTER_SECONDS = 30

# Free-text fields of the portal's forms, with their labels (GLOSSARY.md). Only these are
# shown back: never passwords, codes, tokens or hidden fields.
TYPED_FIELDS = {
    "opinion": _("意見"),
    "text": _("質問"),
    "answer": _("回答"),
    "reason": _("理由"),
    "title": _("件名"),
    "explanation": _("説明"),
    "change_note": _("訂正の内容"),
}


def _typed(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (label, request.POST[name].strip())
        for name, label in TYPED_FIELDS.items()
        if request.method == "POST" and request.POST.get(name, "").strip()
    ]


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW."""
    return render(request, "403_csrf.html", {"typed": _typed(request)}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. When the error is the database out of reach (a restart, a network cut),
    the person gets 503 with Retry-After in their language and what they typed shown back,
    instead of a 500 that loses it. Django calls this while handling the exception, so the
    exception is the one being handled."""
    error = sys.exception()
    if not isinstance(error, OperationalError | InterfaceError) or not _is_unreachable(error):
        return django_server_error(request)
    # Nothing here may touch the database: no context processors, no request.user, no
    # session. The language is the chosen one (cookie) or the one already active.
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    language = chosen if chosen in dict(settings.LANGUAGES) else translation.get_language()
    try:
        with translation.override(language or settings.LANGUAGE_CODE):
            page = render_to_string(
                "503_database.html",
                {"typed": _typed(request), "retry_after": DATABASE_RETRY_AFTER_SECONDS,
                 "LANGUAGE_CODE": translation.get_language()},
            )  # fmt: skip
    except Exception:  # the page must never fail in its turn: Django's plain 500 then
        return HttpResponseServerError()
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _is_unreachable(error: DatabaseError) -> bool:
    """An OperationalError is also what a lock timeout or a cancelled statement raise; the
    503 is for a database that cannot be reached or dropped the connection."""
    if isinstance(error, InterfaceError):
        return True  # the connection is already closed
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    # psycopg: no SQLSTATE when the server never answered; class 08 = connection exception;
    # 57P01-57P03 = the server is shutting down or starting up.
    if sqlstate is None or sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}:
        return not _is_sqlite_lock(error)
    return False


def _is_sqlite_lock(error: DatabaseError) -> bool:
    return "database is locked" in str(error)


class MethodNotAllowedPageMiddleware:
    """A 405 without a body (require_POST and the like) becomes a page that explains it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.method not in ("GET", "HEAD"):
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page
