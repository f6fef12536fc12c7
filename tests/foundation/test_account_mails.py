"""The login-code, password-reset and invitation mails greet the person by name, name the
site, say until when the code or link works (Japan time), name the secretariat to ask, and
read correctly in Japanese — and in English for a person who chose English. (They said
「こんにちは、 です!」 with the site name blank.)"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from circulation.models import OutboxMessage
from portal.models import Role
from portal.services.membership import invite_member

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)  # 2026年9月1日(火) 10:00 in Japan


@pytest.fixture
def contact(council):
    committee = council.committee
    committee.contact_department = "市民課 住民記録係"
    committee.contact_phone = "03-1234-5678"
    committee.contact_email = "jimukyoku@city.example.jp"
    committee.save()
    return committee


def ask_login_code(email: str) -> OutboxMessage:
    with time_machine.travel(T0, tick=False):
        Client().post(reverse("account_request_login_code"), {"email": email})
    return OutboxMessage.objects.get(purpose="account.login_code")


def test_the_login_code_mail_greets_by_name_names_the_site_and_the_expiry(council, contact):
    mail = ask_login_code(council.members[0].email)
    text = mail.body_text
    assert text.startswith("田中 委員 様\n")
    assert "回覧 Kairanからのお知らせです。" in text
    assert "こんにちは" not in text and " です!" not in text
    assert "このコードは10分間、2026年9月1日(火) 10:10まで有効です。" in text
    assert "お問い合わせ先" in text and "市民課 住民記録係" in text and "03-1234-5678" in text
    assert mail.subject == "[Kairan] ログインコードのお知らせ"


def test_the_password_reset_mail_says_until_when_the_link_works(council, contact):
    with time_machine.travel(T0, tick=False):
        Client().post(reverse("account_reset_password"), {"email": council.members[0].email})
    mail = OutboxMessage.objects.get(purpose="account.password_reset_key")
    assert mail.body_text.startswith("田中 委員 様\n")
    assert "パスワードの再設定を受け付けました" in mail.body_text
    assert "このリンクは3日間、2026年9月4日(金) 10:00まで有効です。" in mail.body_text
    assert "/accounts/password/reset/key/" in mail.body_text
    assert "jimukyoku@city.example.jp" in mail.body_text


def test_an_english_reader_gets_them_in_english(council):
    person = council.members[0]
    person.language = "en"
    person.save(update_fields=["language"])
    mail = ask_login_code(person.email)
    assert "Dear 田中 委員," in mail.body_text
    assert "This code is valid for 10 minutes, until Tue 1 Sep 2026 10:10 JST." in mail.body_text
    assert not any("\u3040" <= ch <= "\u30ff" for ch in mail.subject)  # no kana in the subject


def test_the_invitation_names_the_site_and_when_the_link_expires(council, contact, settings):
    settings.KAIRAN_INVITATION_SECONDS = 7 * 86400
    with time_machine.travel(T0, tick=False):
        invite_member(
            council.committee, "新井 花子", "arai@example.jp", Role.MEMBER,
            dt.date(2026, 9, 1), dt.date(2028, 3, 31), by=council.secretariat,
        )  # fmt: skip
    mail = OutboxMessage.objects.get(purpose="account.invitation")
    assert mail.body_text.startswith("新井 花子 様\n")
    assert "「回覧 Kairan」" in mail.body_text
    assert "(リンクは7日間、2026年9月8日(火) 10:00まで有効です)" in mail.body_text
    assert "市民課 住民記録係" in mail.body_text and "市民課 住民記録係" in mail.body_html
