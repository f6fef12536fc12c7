"""The refusal a service raises when a request breaks a rule the person can fix."""

from __future__ import annotations

from django.utils.functional import Promise


class Refused(Exception):
    """A rule refused the change. `message` is shown to the person (Japanese source,
    translated by gettext); `field` names the form field it belongs to, if any."""

    def __init__(self, message: str | Promise, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
