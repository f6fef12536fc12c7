"""A newcomer opens the portal: the login page speaks Japanese and offers a code by mail."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_the_japanese_login_page(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "ログイン" in body


@pytest.mark.django_db
def test_member_logs_in_with_mail_address_and_password(client, council):
    response = client.post(
        reverse("account_login"),
        {"login": "tanaka@example.jp", "password": "correct horse battery"},
    )
    assert response.status_code == 302
    home = client.get("/")
    assert council.committee.name in home.content.decode()
