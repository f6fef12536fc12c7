"""Accounts: MFA cannot be skipped by a password reset (a login code is tested in
tests/foundation/test_mfa.py); every rate limit holds — login, login code request, code
confirmation, password reset, MFA codes and the admin's login, which is allauth's; and MFA
and password changes, failed MFA codes and admin changes to accounts reach the operation log
with who, IP and browser.

Rate limits live in the cache; tests/conftest.py gives every test an empty locmem cache."""

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
from django.test import Client
from django.urls import reverse

from circulation.models import OutboxMessage
from portal.models import AuditEntry, User
from tests.factories import UserFactory
from tests.foundation.helpers import link_in, login_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much longer passphrase 2026"
AGENT = "Mozilla/5.0 (Kairan security test)"


def browser(ip: str = "203.0.113.7") -> Client:
    return Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=ip)


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def totp_code(secret: str, *, step: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def give_totp(user: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def log_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def entries(action: str):
    return AuditEntry.objects.filter(action=action)


def assert_from_the_browser(entry: AuditEntry, actor: User) -> None:
    assert entry.actor == actor
    assert entry.ip == "203.0.113.7"
    assert entry.user_agent == AGENT


# --- MFA cannot be skipped by a password reset ---------------------------------------------------


def reset_password(client: Client, email: str) -> None:
    """The whole reset: ask, follow the link in the mail, set a new password."""
    client.post(reverse("account_reset_password"), {"email": email})
    mail = OutboxMessage.objects.filter(purpose="account.password_reset_key").latest("id")
    key_page = client.get(link_in(mail, "/accounts/password/reset/key/"), follow=True)
    form_url = key_page.redirect_chain[-1][0]  # allauth hides the key behind a redirect
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302, done.content.decode()[:2000]


def test_a_secretariat_user_with_totp_who_resets_the_password_is_still_asked_for_totp(council):
    sato = council.secretariat
    secret = give_totp(sato)
    client = browser()
    reset_password(client, sato.email)
    assert signed_in_as(client) is None  # the reset itself logs nobody in
    assert client.get(reverse("home")).status_code == 302

    response = log_in(client, sato.email, NEW_PASSWORD)
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert signed_in_as(client) is None
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert signed_in_as(client) == str(sato.pk)
    reset = entries("account.password.reset").get()
    assert_from_the_browser(reset, sato)


# --- Rate limits ---------------------------------------------------------------------------------


def test_failed_logins_are_limited_per_ip_whichever_accounts_they_name(
    council,
):
    """Failed logins: 10 a minute from one IP, whichever accounts they name."""
    attacker = browser("198.51.100.9")
    for n in range(10):
        log_in(attacker, f"nobody{n}@example.jp", "guess")
    response = log_in(attacker, council.members[1].email)  # even the right password
    assert signed_in_as(attacker) is None
    assert response.status_code in (200, 429)
    # Somebody else, from another IP, is not affected.
    colleague = browser("198.51.100.10")
    log_in(colleague, council.members[1].email)
    assert signed_in_as(colleague) == str(council.members[1].pk)


def test_login_posts_are_limited_per_ip_whatever_they_contain(council):
    client = browser("198.51.100.11")
    for _ in range(30):
        client.post(reverse("account_login"), {})
    response = log_in(client, council.members[0].email)
    assert response.status_code == 429
    assert signed_in_as(client) is None


def test_login_codes_are_limited_per_address_and_per_ip(council):
    tanaka = council.members[0].email
    for _ in range(4):
        browser("198.51.100.12").post(reverse("account_request_login_code"), {"email": tanaka})
    assert OutboxMessage.objects.filter(purpose="account.login_code").count() == 3
    # Twenty requests from one IP for unknown addresses: the next one, for a real member,
    # sends nothing.
    client = browser("198.51.100.13")
    for n in range(20):
        client.post(reverse("account_request_login_code"), {"email": f"x{n}@example.jp"})
    client.post(reverse("account_request_login_code"), {"email": council.members[1].email})
    assert not OutboxMessage.objects.filter(
        purpose="account.login_code", to_email=council.members[1].email
    ).exists()


def test_a_login_code_dies_after_three_wrong_tries(council):
    client = browser()
    client.post(reverse("account_request_login_code"), {"email": council.members[0].email})
    code = login_code(OutboxMessage.objects.get(purpose="account.login_code"))
    for wrong in ("AAAAAA", "BBBBBB", "CCCCCC"):
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert signed_in_as(client) is None


def test_password_resets_are_limited_per_address_and_per_ip(council):
    tanaka = council.members[0].email
    for _ in range(6):
        browser("198.51.100.14").post(reverse("account_reset_password"), {"email": tanaka})
    assert OutboxMessage.objects.filter(purpose="account.password_reset_key").count() == 5
    client = browser("198.51.100.15")
    for n in range(20):
        client.post(reverse("account_reset_password"), {"email": f"x{n}@example.jp"})
    response = client.post(reverse("account_reset_password"), {"email": council.members[1].email})
    assert response.status_code == 429
    assert not OutboxMessage.objects.filter(
        purpose="account.password_reset_key", to_email=council.members[1].email
    ).exists()


def test_mfa_codes_cannot_be_guessed_without_limit(council):
    secret = give_totp(council.members[0])
    client = browser()
    log_in(client, council.members[0].email)
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert signed_in_as(client) is None
    failed = entries("account.mfa.failed")
    assert failed.count() == 5
    assert failed.first().result == AuditEntry.Result.REFUSED


@pytest.fixture
def staff(db) -> User:
    person = UserFactory(email="admin@city.example.jp", full_name="管理者", is_staff=True,
                         is_superuser=True)  # fmt: skip
    return person


def test_the_admin_login_is_allauths_with_its_limits_and_mfa(staff):
    client = browser("198.51.100.16")
    # The admin's own login form does not check passwords: it sends people to allauth.
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert signed_in_as(client) is None
    # Five wrong passwords for the account lock it, even with the right one.
    for _ in range(5):
        log_in(client, staff.email, "guess")
    log_in(browser("198.51.100.17"), staff.email)
    assert not AuditEntry.objects.filter(action="account.login", actor=staff).exists()
    # And MFA is asked of an admin who has it.
    secret = give_totp(staff)
    fresh = browser("198.51.100.18")
    from django.core.cache import cache

    cache.clear()
    assert log_in(fresh, staff.email)["Location"].startswith(reverse("mfa_authenticate"))
    fresh.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert fresh.get("/admin/").status_code == 200


# --- The operation log --------------------------------------------------------------------------


def activate_totp(client: Client) -> str:
    client.get(reverse("mfa_activate_totp"))
    reauth = reverse("account_reauthenticate")
    client.post(reauth, {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


def test_mfa_added_reset_and_removed_are_logged_with_who_ip_and_browser(
    council, django_capture_on_commit_callbacks
):
    """allauth sends these signals once the change is committed."""
    sato = council.secretariat
    client = browser()
    log_in(client, sato.email)
    with django_capture_on_commit_callbacks(execute=True):
        secret = activate_totp(client)
    added = entries("account.mfa.added").filter(data__type=Authenticator.Type.TOTP).get()
    assert_from_the_browser(added, sato)
    assert added.object_id == str(sato.pk)

    with django_capture_on_commit_callbacks(execute=True):
        regenerated = client.post(reverse("mfa_generate_recovery_codes"))
    assert regenerated.status_code == 302, regenerated.content.decode()[:2000]
    assert_from_the_browser(entries("account.mfa.reset").get(), sato)

    with django_capture_on_commit_callbacks(execute=True):
        deactivated = client.post(reverse("mfa_deactivate_totp"), {"code": totp_code(secret)})
    assert deactivated.status_code == 302, deactivated.content.decode()[:2000]
    removed = entries("account.mfa.removed").filter(data__type=Authenticator.Type.TOTP).get()
    assert_from_the_browser(removed, sato)


def test_a_password_change_is_logged(council):
    tanaka = council.members[0]
    client = browser()
    log_in(client, tanaka.email)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_from_the_browser(entries("account.password.changed").get(), tanaka)


def test_an_admin_removing_someones_mfa_or_setting_a_password_is_logged(council, staff):
    secret_holder = council.secretariat
    give_totp(secret_holder)
    client = browser()
    client.force_login(staff)
    totp = Authenticator.objects.get(user=secret_holder, type=Authenticator.Type.TOTP)
    url = reverse("admin:mfa_authenticator_delete", args=[totp.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    entry = entries("admin.authenticator.deleted").get()
    assert_from_the_browser(entry, staff)
    assert entry.object_id == str(totp.pk)
    # The bulk action too.
    give_totp(council.chair)
    changelist = reverse("admin:mfa_authenticator_changelist")
    ids = list(Authenticator.objects.values_list("pk", flat=True))
    client.post(changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert not Authenticator.objects.exists()
    assert entries("admin.authenticator.deleted").count() == 1 + len(ids)
    # A password set on the person's admin page.
    password_url = reverse("admin:auth_user_password_change", args=[council.members[0].pk])
    done = client.post(password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                      "usable_password": "true"})  # fmt: skip
    assert done.status_code == 302, done.content.decode()[:2000]
    changed = entries("admin.user.changed").get()
    assert changed.object_id == str(council.members[0].pk)


def test_every_admin_page_is_audited():
    from django.contrib import admin

    from portal.admin import AuditedAdmin

    plain = [m._meta.label for m, a in admin.site._registry.items()
             if not isinstance(a, AuditedAdmin)]  # fmt: skip
    assert plain == []
