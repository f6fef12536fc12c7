"""Request-wide concerns: the moment of arrival, the audit origin, the language, and sending
secretariat users to MFA set-up."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from portal import audit
from portal.permissions import needs_mfa_setup


class ArrivalMiddleware:
    """First of all middleware: the moment the request reached the portal. A reply is
    judged by it, not by when a busy worker got round to the service (docs/security.md,
    "Replies at the deadline")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.kairan_received_at = timezone.now()
        return self.get_response(request)


def received_at(request: HttpRequest) -> dt.datetime | None:
    """When ArrivalMiddleware saw the request (None outside a request through it)."""
    return getattr(request, "kairan_received_at", None)


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


def chosen_language(request: HttpRequest) -> str:
    """The language chosen with the switch (cookie), else the person's saved language,
    else Japanese. The browser's Accept-Language is deliberately ignored: the portal is
    Japanese unless someone asks for English."""
    supported = dict(settings.LANGUAGES)
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in supported:
        return cookie
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in supported:
        return user.language
    return settings.LANGUAGE_CODE


class PortalLocaleMiddleware:
    """Stands in for Django's LocaleMiddleware; placed after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # override, not activate: the thread's language goes back afterwards, so nothing
        # run later in the same thread (the next request's early middleware, a test, a
        # task) speaks the previous person's language.
        with translation.override(chosen_language(request)):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Cookie",))
        return response


@functools.cache
def mfa_exempt_prefixes() -> tuple[str, ...]:
    """Paths a secretariat user without MFA may still reach: allauth's MFA pages (set-up,
    recovery codes, authenticate), re-authentication (TOTP activation asks for it),
    logging in and out, the language switch, static files and the privacy notice.
    Nothing else: not even the account's e-mail or password pages."""
    return (
        reverse("mfa_index"),  # /accounts/2fa/ and everything under it
        reverse("account_reauthenticate"),
        reverse("account_login"),  # also login/code/ and login/code/confirm/
        reverse("account_logout"),
        reverse("set_language"),
        settings.STATIC_URL,
        "/privacy/",
    )


class RequireSecretariatMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT
            and request.user.is_authenticated
            and not request.path.startswith(mfa_exempt_prefixes())
            and needs_mfa_setup(request.user)
        ):
            _explain_once(
                request,
                _("事務局の方は、ほかの操作の前に2段階認証(認証アプリ)を設定してください。"),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _explain_once(request: HttpRequest, text: str) -> None:
    """Say why the person lands on MFA set-up, without repeating it for every redirect."""
    storage = messages.get_messages(request)
    already = any(str(message) == text for message in storage)
    storage.used = False  # looking must not consume the messages
    if not already:
        messages.warning(request, text)
