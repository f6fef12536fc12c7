"""A person's own settings."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from portal import audit
from portal.models import User


def set_language_preference(user: User, language: str) -> bool:
    """Remember the language a person chose on screen; their mail is written in it.
    Returns whether it changed."""
    if language not in dict(settings.LANGUAGES) or user.language == language:
        return False
    previous = user.language
    user.language = language
    with transaction.atomic():
        user.save(update_fields=["language"])
        audit.record(
            "account.language.changed",
            actor=user,
            obj=user,
            data={"from": previous, "to": language},
        )
    return True
