"""The demo's mail reader: the mail the portal sent, readable in the browser.

Reachable only in the demo (settings.DEMO or DEBUG); portal/urls.py includes these URLs only
then, and each view checks again. The mail's HTML is never put into a page of ours: it is
served alone, under a Content-Security-Policy that forbids scripts, other hosts and forms,
and shown in a sandboxed iframe.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from portal.demo import DEMO_PASSWORD, DEMO_PEOPLE
from portal.demo_mail import Mail, list_mail, mail_dir, mail_file, read_mail

# For the HTML part: inline styles (mail HTML relies on them) and data: images only; no
# scripts, no requests to any host, no forms; `sandbox` holds even when opened directly.
MAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)


def _demo_only() -> None:
    if not (settings.DEMO or settings.DEBUG):
        raise Http404


def _mail_or_404(name: str) -> Mail:
    path = mail_file(name)
    if path is None:
        raise Http404
    return read_mail(path)


@require_safe
def logins(request: HttpRequest) -> HttpResponse:
    """The demo's logins, as `make demo` printed them (published: it is the demo)."""
    _demo_only()
    return render(
        request, "portal/demo/logins.html", {"people": DEMO_PEOPLE, "password": DEMO_PASSWORD}
    )


@require_safe
def mail_list(request: HttpRequest) -> HttpResponse:
    _demo_only()
    return render(
        request,
        "portal/demo/mail_list.html",
        {"messages_on_disk": list_mail(), "mail_dir": mail_dir()},
    )


@require_safe
def mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    _demo_only()
    return render(request, "portal/demo/mail_detail.html", {"mail": _mail_or_404(name)})


@require_safe
@xframe_options_sameorigin  # framed by mail_detail, and by nothing else
def mail_html(request: HttpRequest, name: str) -> HttpResponse:
    _demo_only()
    mail = _mail_or_404(name)
    if not mail.html:
        raise Http404
    response = HttpResponse(mail.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MAIL_HTML_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response
