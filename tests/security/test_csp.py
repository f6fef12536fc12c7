"""A Content-Security-Policy without 'unsafe-inline', and pages that need none — our own and
allauth's MFA (TOTP, recovery codes) screens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from tests.security.html import inline_code

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_every_page_carries_the_policy(client, council):
    assert policy(client.get(reverse("account_login"))) == EXPECTED_POLICY
    assert policy(client.get(reverse("privacy_notice"))) == EXPECTED_POLICY
    client.force_login(council.secretariat)
    response = client.get(reverse("committee_detail", args=[council.committee.pk]))
    assert policy(response) == EXPECTED_POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_kairans_pages_need_no_inline_script_or_style(client, council):
    assert inline_code(client.get(reverse("account_login")).content.decode()) == []
    client.force_login(council.secretariat)
    for url in [
        reverse("home"),
        reverse("privacy_notice"),
        reverse("committee_detail", args=[council.committee.pk]),
        reverse("audit_log"),
        reverse("audit_log_reviews", args=[council.committee.pk]),
    ]:
        assert inline_code(client.get(url).content.decode()) == [], url


def test_no_template_of_ours_has_inline_script_or_style():
    # Mail templates are exempt: mail clients ignore the site's CSP and need inline styles.
    offenders = {}
    for path in (ROOT / "templates").rglob("*.html"):
        if "emails" in path.relative_to(ROOT / "templates").parts:
            continue
        text = path.read_text(encoding="utf-8")
        found = re.findall(r"\sstyle=|<style|<script(?![^>]*\bsrc=)|\son[a-z]+=", text)
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def login(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def current_code(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_allauths_mfa_screens_work_under_the_policy(client, council):
    """TOTP set-up (QR code as a data: image), recovery codes and the MFA step at login."""
    sato = council.secretariat
    login(client, sato)

    # Setting up MFA asks for the password again first (allauth's reauthentication).
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    again = client.get(asked["Location"])
    assert again.status_code == 200
    assert inline_code(again.content.decode()) == []
    client.post(asked["Location"], {"password": PASSWORD})

    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 200
    body = activate.content.decode()
    assert inline_code(body) == []
    assert 'src="data:image/svg+xml;base64,' in body  # allowed by img-src data:
    secret = client.session[SECRET_SESSION_KEY]
    done = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert done.status_code == 302, done.content.decode()[:2000]

    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert codes.status_code == 200
    assert inline_code(codes.content.decode()) == []
    assert "script-src 'self'" in codes["Content-Security-Policy"]
    assert inline_code(client.get(reverse("mfa_index")).content.decode()) == []

    client.post(reverse("account_logout"))
    step = login(client, sato)
    assert step["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert inline_code(page.content.decode()) == []


def test_allauths_account_screens_need_no_inline_code(client, council):
    for name in ["account_login", "account_reset_password", "account_request_login_code"]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert inline_code(response.content.decode()) == [], name
    client.force_login(council.members[0])
    for name in ["account_email", "account_change_password"]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert inline_code(response.content.decode()) == [], name
