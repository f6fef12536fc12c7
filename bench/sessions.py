"""Logged-in sessions for the load generator, made the way Django's login makes them."""

from __future__ import annotations

import string
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import get_random_string

from portal.models import User

_CSRF_CHARS = string.ascii_letters + string.digits


def session_for(user: User) -> str:
    """A new session of `user` (as after logging in); returns its key (the cookie value)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def csrf_secret() -> str:
    """A CSRF cookie value; Django also accepts it as the form's token."""
    return get_random_string(32, _CSRF_CHARS)


def write_slots(path: Path, slots: list[tuple[User, int]]) -> Path:
    """One line per wrk connection: session key, CSRF secret, version of the current reply."""
    lines = [f"{session_for(user)} {csrf_secret()} {version}" for user, version in slots]
    path.write_text("\n".join(lines) + "\n")
    return path
