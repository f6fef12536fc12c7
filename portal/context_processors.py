from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .permissions import committees_of


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        # Lazy: read only by pages that show the navigation, and then from the memberships
        # the request's permission checks already read (portal.permissions memoises them).
        "my_committees": SimpleLazyObject(lambda: committees_of(user) if user is not None else []),
        "kairan_demo": settings.DEMO,
    }
