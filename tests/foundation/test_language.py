"""Japanese by default (allauth's screens too); English on request from every page. A
logged-in person's choice is remembered and their mail follows it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from circulation.models import OutboxMessage
from portal.models import AuditEntry, Role, User
from portal.services.membership import invite_member

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def switch(client, language: str, next_url: str):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_the_login_page_is_japanese_even_for_an_english_browser(client):
    response = client.get(reverse("account_login"), headers={"accept-language": "en-US,en"})
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "ログイン" in body and "ログインコード" in body
    assert response["Content-Language"] == "ja"


def test_every_page_offers_the_language_switch(client, council):
    pages = [reverse("account_login"), reverse("account_request_login_code")]
    for url in pages:
        body = client.get(url).content.decode()
        assert f'action="{reverse("set_language")}"' in body, url
    client.force_login(council.secretariat)
    for url in (reverse("home"), reverse("committee_members", args=[council.committee.pk])):
        body = client.get(url).content.decode()
        assert f'action="{reverse("set_language")}"' in body, url


def test_switching_to_english_turns_the_login_page_english(client):
    response = switch(client, "en", reverse("account_login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    body = client.get(reverse("account_login")).content.decode()
    assert '<html lang="en">' in body
    assert "Log in" in body and "Send me a login code by mail" in body
    assert "invited by the secretariat" in body  # Kairan's own line, translated
    assert "ログイン" not in body


def test_switching_on_the_members_page_turns_it_english_and_is_remembered(client, council):
    client.force_login(council.secretariat)
    members = reverse("committee_members", args=[council.committee.pk])
    assert '<html lang="ja">' in client.get(members).content.decode()

    assert switch(client, "en", members)["Location"] == members
    body = client.get(members).content.decode()
    assert '<html lang="en">' in body
    assert "Manage members" in body and "Sitting" in body and "Term ended" in body
    assert "Chair" in body and "Acting chair" in body
    assert "委員の管理" not in body
    assert " – " in body and "〜" not in body  # terms read "May 7, 2026 – May 6, 2028"

    secretariat = User.objects.get(pk=council.secretariat.pk)
    assert secretariat.language == "en"
    entry = AuditEntry.objects.get(action="account.language.changed")
    assert entry.data == {"from": "ja", "to": "en"}

    switch(client, "ja", members)
    assert '<html lang="ja">' in client.get(members).content.decode()
    assert User.objects.get(pk=council.secretariat.pk).language == "ja"


def test_a_saved_language_applies_at_the_next_login_on_a_new_browser(client, council):
    User.objects.filter(pk=council.members[0].pk).update(language="en")
    client.post(reverse("account_login"), {"login": "tanaka@example.jp", "password": PASSWORD})
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in body


def test_an_anonymous_switch_changes_no_account(client, council):
    switch(client, "en", "/")
    assert not User.objects.filter(language="en").exists()
    assert not AuditEntry.objects.filter(action="account.language.changed").exists()


def test_an_unknown_language_is_ignored(client, council):
    client.force_login(council.members[0])
    switch(client, "fr", "/")
    assert User.objects.get(pk=council.members[0].pk).language == "ja"
    assert '<html lang="ja">' in client.get(reverse("home")).content.decode()


def test_mail_is_written_in_the_recipients_language(council):
    User.objects.filter(pk=council.other_secretariat.pk).update(language="en")
    council.other_secretariat.refresh_from_db()
    invite_member(
        council.committee,
        "Nakamura",
        council.other_secretariat.email,
        Role.MEMBER,
        council.committee.created_at.date(),
        None,
        by=council.secretariat,
    )
    mail = OutboxMessage.objects.get(purpose="account.invitation")
    assert mail.subject.startswith("[Kairan] Invitation from")
    assert "You have been registered" in mail.body_text
    assert "Member" in mail.body_text


def test_an_english_page_leaves_no_english_behind_for_what_runs_next_in_the_thread(client, council):
    from django.utils import translation

    council.members[0].language = "en"
    council.members[0].save(update_fields=["language"])
    client.force_login(council.members[0])
    assert client.get(reverse("home"))["Content-Language"] == "en"

    assert translation.get_language() == "ja"  # a service or task run next speaks Japanese
