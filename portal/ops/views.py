"""The site staff's status page (運用状況) and the same figures as Prometheus metrics."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import permissions_site
from portal.permissions import Action

from .status import metrics_text, site_status


@never_cache
@require_GET
@login_required
def status_page(request: HttpRequest) -> HttpResponse:
    permissions_site.site_staff_or_404(request.user, Action.VIEW_SITE_STATUS)
    return render(request, "portal/ops/status.html", {"status": site_status()})


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """For Prometheus (a bearer token) or signed-in site staff; anyone else signed in, or a
    wrong token, gets the logged 404 of the status page; nobody signed in, the login page."""
    authorization = request.headers.get("Authorization", "")
    if not permissions_site.may_read_metrics(request.user, authorization):
        if not request.user.is_authenticated and not authorization:
            return redirect_to_login(request.get_full_path())
        permissions_site.site_staff_or_404(request.user, Action.VIEW_SITE_STATUS)
    return HttpResponse(
        metrics_text(site_status()), content_type="text/plain; version=0.0.4; charset=utf-8"
    )
