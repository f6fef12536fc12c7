from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .permissions import committees_of


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "my_committees": committees_of(user) if user is not None else [],
        "kairan_demo": settings.DEMO,
    }
