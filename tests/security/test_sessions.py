"""Sessions: a new key at login, expiry after inactivity, cookies that scripts cannot read
and that travel only over HTTPS when the site is served over HTTPS."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone

from tests.security.settings_probe import load_settings, settings_values

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def log_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_the_session_key_changes_at_login(client, council):
    before = client.session  # an anonymous session with something in it
    before["probe"] = "before login"
    before.save()
    old_key = client.cookies["sessionid"].value

    log_in(client, council.members[0])

    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)  # the old key no longer opens anything


def test_the_session_ends_after_the_idle_time_but_not_while_in_use(client, council, settings):
    settings.SESSION_COOKIE_AGE = 3600  # KAIRAN_SESSION_IDLE_SECONDS
    start = timezone.now()
    home = reverse("home")
    with time_machine.travel(start, tick=False):
        log_in(client, council.members[0])
    for minutes in (50, 100, 150):  # active every 50 minutes: still signed in
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get(home).status_code == 200, minutes
    with time_machine.travel(start + dt.timedelta(minutes=150 + 61), tick=False):
        response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_cookies_are_http_only_same_site_and_secure_when_asked(client, council, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client.get(reverse("account_login"))
    response = log_in(client, council.members[0])
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session["secure"] is True
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


def test_a_site_served_over_https_gets_secure_cookies(tmp_path):
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
             "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SESSION_SAVE_EVERY_REQUEST",
             "SESSION_COOKIE_AGE"]  # fmt: skip
    https = settings_values(tmp_path, {"SITE_URL": "https://kairan.city.example.jp"}, names)
    assert https == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_COOKIE_AGE": 3600,
    }
    http = settings_values(tmp_path, {"SITE_URL": "http://127.0.0.1:8000"}, names[:3])
    assert http == dict.fromkeys(names[:3], False)
    idle = settings_values(tmp_path, {"KAIRAN_SESSION_IDLE_SECONDS": "900"}, ["SESSION_COOKIE_AGE"])
    assert idle == {"SESSION_COOKIE_AGE": 900}


def test_a_bad_idle_time_stops_the_portal_from_starting(tmp_path):
    done = load_settings(tmp_path, {"KAIRAN_SESSION_IDLE_SECONDS": "an hour"}, ["DEBUG"])
    assert done.returncode != 0
    assert "KAIRAN_SESSION_IDLE_SECONDS" in done.stderr
