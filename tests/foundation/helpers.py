"""Helpers of the foundation tests: reading links and codes out of queued mail."""

from __future__ import annotations

import re

from circulation.models import OutboxMessage


def link_in(message: OutboxMessage, path_start: str) -> str:
    """The path of the first link in the mail's text part that starts with `path_start`."""
    pattern = r"https?://[^/\s]+(" + re.escape(path_start) + r"[^\s\"<]*)"
    match = re.search(pattern, message.body_text)
    assert match, f"no {path_start} link in:\n{message.body_text}"
    return match.group(1)


def invitation_path(message: OutboxMessage) -> str:
    return link_in(message, "/invitation/")


def login_code(message: OutboxMessage) -> str:
    """The one-time code in allauth's login-code mail (a line of its own)."""
    for line in message.body_text.splitlines():
        candidate = line.strip()
        if re.fullmatch(r"[A-Z0-9]{4,}(-[A-Z0-9]{4,})*", candidate):
            return candidate
    raise AssertionError(f"no code in:\n{message.body_text}")
