from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from circulation.jobs.due import beat_is_stale
from portal.permissions import committees_of, is_secretariat_anywhere


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        # Lazy: read only by pages that show the navigation, and then from the memberships
        # the request's permission checks already read (portal.permissions memoises them).
        "my_committees": SimpleLazyObject(lambda: committees_of(user) if user is not None else []),
        "kairan_demo": settings.DEMO,
        # Lazy too: only templates that show the warning (base.html) pay for the heartbeat.
        "beat_stale": SimpleLazyObject(lambda: _beat_stale_for(user)),
    }


def _beat_stale_for(user: Any) -> bool:
    """Only the secretariat is told (and only for them is it computed) that beat is silent:
    without it no circulation closes and no reminder goes out."""
    if user is None or not user.is_authenticated or not is_secretariat_anywhere(user):
        return False
    # Asked on every page of every secretariat user: a reading of the heartbeat a few
    # seconds old will do (kept in Django's cache; beat's tick drops it).
    return beat_is_stale(kept=True)
