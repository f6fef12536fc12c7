"""Logins, failed logins and logouts go to the audit log from the start."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .models import AuditEntry


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
