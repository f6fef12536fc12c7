"""MFA: a secretariat user without an authenticator app is sent to set one up before
anything else (when the setting is on); members are not; and nobody who has TOTP can skip
it by logging in with a mail code."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings as django_settings
from django.urls import reverse

from circulation.models import OutboxMessage
from portal.models import Membership
from tests.foundation.helpers import login_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture
def mfa_required(settings):
    settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT = True


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def give_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def portal_pages(council) -> list[str]:
    committee = council.committee.pk
    tanaka = Membership.objects.get(user=council.members[0])
    return [
        reverse("home"),
        reverse("committee_detail", args=[committee]),
        reverse("committee_members", args=[committee]),
        reverse("committee_member_add", args=[committee]),
        reverse("committee_member_detail", args=[committee, tanaka.pk]),
        "/admin/",
        reverse("account_email"),  # even the account's own pages wait for MFA
        reverse("account_change_password"),
    ]


def test_a_secretariat_user_without_totp_is_sent_to_set_it_up_from_every_page(
    client, council, mfa_required
):
    client.force_login(council.secretariat)
    for url in portal_pages(council):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url


def test_nothing_is_changed_by_a_post_before_mfa_is_set_up(client, council, mfa_required):
    client.force_login(council.secretariat)
    response = client.post(
        reverse("committee_chair_absence", args=[council.committee.pk]), {"absent": "1"}
    )
    assert response["Location"] == reverse("mfa_activate_totp")
    council.committee.refresh_from_db()
    assert not council.committee.chair_absent


def test_members_are_not_asked_for_mfa(client, council, mfa_required):
    for person in (council.chair, council.members[0], council.outsider):
        client.force_login(person)
        assert client.get(reverse("home")).status_code == 200


def test_a_secretariat_user_with_totp_gets_through(client, council, mfa_required):
    give_totp(council.secretariat)
    client.force_login(council.secretariat)
    for url in portal_pages(council):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert response.get("Location") != reverse("mfa_activate_totp"), url


def test_without_the_setting_nobody_is_sent_to_mfa(client, council):
    assert django_settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT is False  # the tests' default
    client.force_login(council.secretariat)
    assert client.get(reverse("home")).status_code == 200


def test_mfa_setup_language_switch_and_logout_stay_reachable(client, council, mfa_required):
    client.force_login(council.secretariat)
    for name in ("mfa_index", "account_reauthenticate"):
        assert client.get(reverse(name)).status_code == 200, name
    # Activation asks for the password again (re-authentication) - reachable, no loop.
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"

    client.post(reverse("account_logout"))
    assert logged_in_user_id(client) is None


def test_a_secretariat_user_activates_totp_and_then_reaches_the_portal(
    client, council, mfa_required
):
    client.post(reverse("account_login"), {"login": "sato@city.example.jp", "password": PASSWORD})
    assert logged_in_user_id(client) == str(council.secretariat.pk)
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")

    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302:  # allauth asks for the password again first
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(
        user=council.secretariat, type=Authenticator.Type.TOTP
    ).exists()
    assert client.get(reverse("home")).status_code == 200
    members = reverse("committee_members", args=[council.committee.pk])
    assert client.get(members).status_code == 200


def test_a_login_code_does_not_skip_totp(client, council):
    secret = give_totp(council.members[0])
    client.post(reverse("account_request_login_code"), {"email": "tanaka@example.jp"})
    mail = OutboxMessage.objects.get(purpose="account.login_code")

    response = client.post(reverse("account_confirm_login_code"), {"code": login_code(mail)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert logged_in_user_id(client) is None
    assert client.get(reverse("home")).status_code == 302  # still not in

    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert logged_in_user_id(client) is None
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(council.members[0].pk)


def test_a_password_login_also_asks_for_totp(client, council):
    give_totp(council.members[0])
    response = client.post(
        reverse("account_login"), {"login": "tanaka@example.jp", "password": PASSWORD}
    )
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert logged_in_user_id(client) is None


def test_the_mfa_page_says_why_once(client, council, mfa_required):
    client.force_login(council.secretariat)
    client.get(reverse("home"))
    client.get(reverse("committee_members", args=[council.committee.pk]))
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    body = response.content.decode()
    assert body.count("ほかの操作の前に2段階認証") == 1
