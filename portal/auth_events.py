"""Account events go to the audit log: logins, failed logins and logouts (Django's signals,
so the admin's login through allauth too), MFA changes and failed MFA codes (allauth.mfa's
signals), and password changes, first passwords and resets (allauth.account's signals)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal import audit
from portal.middleware import client_ip
from portal.models import AuditEntry


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **_: Any) -> None:
    audit.record("account.login", actor=user, obj=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **_: Any) -> None:
    if user is not None:
        audit.record("account.logout", actor=user, obj=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = get_user_model().objects.filter(email__iexact=attempted).first() if attempted else None
    audit.record(
        "account.login_failed",
        obj=user,
        actor_label=attempted,
        result=AuditEntry.Result.REFUSED,
    )


# --- MFA (allauth.mfa.signals) ----------------------------------------------------------------


@contextmanager
def _origin_of(request: Any) -> Iterator[None]:
    """The IP and browser of the request the signal carries. allauth sends the MFA signals
    on commit, which may be after the request's own audit context has ended."""
    if request is None or not hasattr(request, "META"):
        yield
        return
    origin = audit.Origin(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        path=request.path[:500],
    )
    token = audit.set_origin(origin)
    try:
        yield
    finally:
        audit.reset_origin(token)


def _actor(request: Any, user: Any) -> Any:
    """Who acted: the signed-in person (the owner, normally), else the account itself."""
    acting = getattr(request, "user", None)
    return acting if acting is not None and acting.is_authenticated else user


def _mfa(action: str, request: Any, user: Any, authenticator: Any) -> None:
    with _origin_of(request):
        audit.record(
            action,
            actor=_actor(request, user),
            obj=user,
            data={"type": authenticator.type, "authenticator": authenticator.pk},
        )


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **_: Any) -> None:
    _mfa("account.mfa.added", request, user, authenticator)


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **_: Any) -> None:
    _mfa("account.mfa.removed", request, user, authenticator)


@receiver(mfa_signals.authenticator_reset)
def _mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **_: Any) -> None:
    _mfa("account.mfa.reset", request, user, authenticator)


@receiver(mfa_signals.authentication_failed)
def _mfa_failed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    with _origin_of(request):
        audit.record(
            "account.mfa.failed",
            obj=user,
            actor_label=user.email,
            result=AuditEntry.Result.REFUSED,
            data={"type": authenticator.type if authenticator else "",
                  "reauthentication": bool(kwargs.get("reauthentication"))},
        )  # fmt: skip


# --- Passwords (allauth.account.signals) --------------------------------------------------------


@receiver(account_signals.password_changed)
def _password_changed(sender: Any, request: Any, user: Any, **_: Any) -> None:
    with _origin_of(request):
        audit.record("account.password.changed", actor=_actor(request, user), obj=user)


@receiver(account_signals.password_set)
def _password_set(sender: Any, request: Any, user: Any, **_: Any) -> None:
    with _origin_of(request):
        audit.record("account.password.set", actor=_actor(request, user), obj=user)


@receiver(account_signals.password_reset)
def _password_reset(sender: Any, request: Any, user: Any, **_: Any) -> None:
    # Through the link mailed to the address: nobody is signed in, the account acted.
    with _origin_of(request):
        audit.record("account.password.reset", actor=user, obj=user)
