"""Logged-in sessions for the load generator, made the way Django's login makes them."""

from __future__ import annotations

import string
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Slot:
    """One wrk connection's person."""

    user: User
    session: str
    csrf: str


@dataclass
class Slots:
    """The sessions file the wrk scripts read: line N is connection N's session id, CSRF
    secret and the version of that person's current reply on the circulation."""

    path: Path
    slots: list[Slot]
    circulation_id: int

    @classmethod
    def create(cls, path: Path, users: list[User], circulation_id: int) -> Slots:
        slots = cls(path, [Slot(u, session_for(u), csrf_secret()) for u in users], circulation_id)
        slots.refresh()
        return slots

    def refresh(self) -> Path:
        """Write the file with each person's current reply version (read again now)."""
        from circulation.models import Recipient

        versions = dict(
            Recipient.objects.filter(circulation_id=self.circulation_id)
            .exclude(current_reply=None)
            .values_list("user_id", "current_reply__version")
        )
        lines = [f"{s.session} {s.csrf} {versions.get(s.user.pk, 0)}" for s in self.slots]
        self.path.write_text("\n".join(lines) + "\n")
        return self.path

    @property
    def cookie(self) -> str:
        first = self.slots[0]
        return f"sessionid={first.session}; csrftoken={first.csrf}"
