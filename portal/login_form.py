"""allauth's login form with its errors tied to the fields, for screen readers."""

from __future__ import annotations

from allauth.account.forms import LoginForm

LOGIN_ERRORS_ID = "login-errors"


class KairanLoginForm(LoginForm):
    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self.errors:
            # A wrong password is a form-level error: point both fields at the message.
            for name in ("login", "password"):
                if name in self.fields:
                    attrs = self.fields[name].widget.attrs
                    attrs["aria-invalid"] = "true"
                    attrs["aria-describedby"] = LOGIN_ERRORS_ID
