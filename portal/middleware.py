"""Request-wide concerns: the audit origin, and sending secretariat users to MFA set-up."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import audit
from .permissions import needs_mfa_setup


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, only the proxy's own header is trusted (ALLAUTH_TRUSTED_PROXY_COUNT).
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:  # a malformed header must not break logging
        return request.META.get("REMOTE_ADDR")


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = audit.Origin(
            ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
        )
        token = audit.set_origin(origin)
        try:
            return self.get_response(request)
        finally:
            audit.reset_origin(token)


# Paths a secretariat user without MFA may still reach: MFA set-up itself, logging out,
# static files and the language switch.
_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/privacy/")


class RequireSecretariatMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT
            and request.user.is_authenticated
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and needs_mfa_setup(request.user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
