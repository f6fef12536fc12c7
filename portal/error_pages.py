"""Error pages that say what happened in the person's language and keep what they typed.

Django's own 403/404 pages are templates (templates/403.html, 404.html, 400.html, 500.html);
two cases need code: a refused CSRF check (the form was open too long, or the person logged in
again in another tab), where the page shows back the free text they had typed so that nothing
is lost, and a 405 (a POST-only address opened from the history), which Django answers with
an empty body.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW."""
    typed = [
        (label, request.POST[name].strip())
        for name, label in TYPED_FIELDS.items()
        if request.method == "POST" and request.POST.get(name, "").strip()
    ]
    return render(request, "403_csrf.html", {"typed": typed}, status=403)


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
