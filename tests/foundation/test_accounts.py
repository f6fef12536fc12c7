"""Logging in: by mail address and password, or by a one-time code sent by mail. No public
sign-up; an unverified address cannot log in by password; the admin logs in through
allauth; repeated failures are refused."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from circulation.models import OutboxMessage
from portal.models import AuditEntry, User
from tests.factories import UserFactory
from tests.foundation.helpers import login_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_a_member_logs_in_with_mail_address_and_password(client, council):
    response = client.post(
        reverse("account_login"), {"login": "Tanaka@Example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(council.members[0].pk)
    assert AuditEntry.objects.filter(action="account.login", actor=council.members[0]).exists()


def test_a_wrong_password_is_refused_and_logged(client, council):
    response = client.post(
        reverse("account_login"), {"login": "tanaka@example.jp", "password": "wrong"}
    )
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    failed = AuditEntry.objects.get(action="account.login_failed")
    assert failed.actor_label == "tanaka@example.jp"
    assert failed.result == AuditEntry.Result.REFUSED


def test_a_member_logs_in_with_a_code_sent_by_mail(client, council):
    response = client.post(reverse("account_request_login_code"), {"email": "tanaka@example.jp"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    assert logged_in_user_id(client) is None

    mail = OutboxMessage.objects.get(purpose="account.login_code")
    assert mail.to_email == "tanaka@example.jp"
    assert mail.state == OutboxMessage.State.QUEUED

    response = client.post(reverse("account_confirm_login_code"), {"code": login_code(mail)})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(council.members[0].pk)
    assert AuditEntry.objects.filter(action="account.login", actor=council.members[0]).exists()


def test_a_wrong_code_does_not_log_in(client, council):
    client.post(reverse("account_request_login_code"), {"email": "tanaka@example.jp"})
    client.post(reverse("account_confirm_login_code"), {"code": "AAAA-BBBB"})
    assert logged_in_user_id(client) is None


def test_a_code_requested_for_an_unknown_address_sends_no_mail(client, council):
    response = client.post(reverse("account_request_login_code"), {"email": "stranger@example.com"})
    assert response.status_code == 302  # the same answer as for a known address
    assert not OutboxMessage.objects.exists()


def test_public_sign_up_is_closed(client, council):
    before = User.objects.count()
    page = client.get(reverse("account_signup"))
    assert "ログイン" in page.content.decode()  # the closed page points to login
    client.post(
        reverse("account_signup"),
        {
            "email": "stranger@example.com",
            "password1": "Zxcv-9876-qwer",
            "password2": "Zxcv-9876-qwer",
        },
    )
    assert User.objects.count() == before
    assert not User.objects.filter(email="stranger@example.com").exists()
    assert logged_in_user_id(client) is None


def test_an_unverified_person_cannot_log_in_by_password(client, council):
    UserFactory(email="kimura@example.jp", full_name="木村 未承諾", verified=False)
    response = client.post(
        reverse("account_login"), {"login": "kimura@example.jp", "password": PASSWORD}
    )
    assert logged_in_user_id(client) is None
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_the_admin_sends_anonymous_visitors_to_the_allauth_login(client, council):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert response.status_code == 200


def test_the_admin_login_page_itself_is_allauths(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_repeated_failed_logins_are_refused_even_with_the_right_password(client, council):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "tanaka@example.jp", "password": "nope"})
    response = client.post(
        reverse("account_login"), {"login": "tanaka@example.jp", "password": PASSWORD}
    )
    assert logged_in_user_id(client) is None
    assert "ログイン失敗が連続しています" in response.content.decode()
    # Another person is not locked out by it.
    response = client.post(
        reverse("account_login"), {"login": "takahashi@example.jp", "password": PASSWORD}
    )
    assert logged_in_user_id(client) == str(council.members[1].pk)


def test_login_codes_cannot_be_requested_without_limit(client, council):
    for _ in range(3):
        client.post(reverse("account_request_login_code"), {"email": "tanaka@example.jp"})
        client.cookies.clear()  # a fresh browser each time
    response = client.post(reverse("account_request_login_code"), {"email": "tanaka@example.jp"})
    assert OutboxMessage.objects.filter(purpose="account.login_code").count() == 3
    assert response.status_code in (200, 429)


@pytest.mark.redis
def test_failed_login_limits_are_shared_through_redis(client, council, settings):
    """With REDIS_URL set the limits live in Redis (as in production, where every web
    process shares them): five failures through one browser lock out another browser."""
    import os
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    from django.test import Client

    url = urlsplit(os.environ["REDIS_URL"])
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": urlunsplit((url.scheme, url.netloc, "/11", "", "")),  # foundation's DB
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    try:
        for _ in range(5):
            client.post(
                reverse("account_login"), {"login": "tanaka@example.jp", "password": "nope"}
            )
        other_browser = Client()
        response = other_browser.post(
            reverse("account_login"), {"login": "tanaka@example.jp", "password": PASSWORD}
        )
        assert "_auth_user_id" not in other_browser.session
        assert "ログイン失敗が連続しています" in response.content.decode()
    finally:
        cache.clear()  # DB 11 is the foundation tests' own
