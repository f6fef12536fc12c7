"""Members are told that the portal keeps an operation log: a privacy notice linked from
every page, and a banner after the first login until they have read it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEntry

pytestmark = pytest.mark.django_db
BANNER = "操作記録についての説明を読む"


def test_anyone_can_read_what_is_logged_why_for_how_long_and_who_sees_it(client, settings):
    settings.KAIRAN_AUDIT_RETENTION_DAYS = 1825
    response = client.get(reverse("privacy_notice"))
    assert response.status_code == 200
    body = response.content.decode()
    for said in [
        "資料を開いた",  # opening materials
        "すべての版",  # replies and their versions
        "ログイン",
        "IP アドレス",
        "ブラウザの情報",
        "監査",  # why: the council's audit duty
        "1825 日間(約 5 年)",  # for how long, from the setting
        "事務局だけ",  # who can see it
    ]:
        assert said in body, said


def test_the_retention_shown_follows_the_setting(client, settings):
    settings.KAIRAN_AUDIT_RETENTION_DAYS = 3650
    assert "3650 日間(約 10 年)" in client.get(reverse("privacy_notice")).content.decode()


def test_every_page_links_to_the_notice_in_its_footer(client, council):
    link = f'<a href="{reverse("privacy_notice")}">操作記録について</a>'
    assert link in client.get(reverse("account_login")).content.decode()
    client.force_login(council.members[0])
    for url in [reverse("home"), reverse("committee_detail", args=[council.committee.pk])]:
        footer = client.get(url).content.decode().split('<footer class="site-footer">')[1]
        assert link in footer, url


def test_after_the_first_login_a_banner_asks_to_read_the_notice_until_it_is_read(client, council):
    tanaka = council.members[0]
    client.post(reverse("account_login"),
                {"login": tanaka.email, "password": "correct horse battery"})  # fmt: skip
    home = client.get(reverse("home")).content.decode()
    assert BANNER in home
    page = client.get(reverse("committee_detail", args=[council.committee.pk]))
    assert BANNER in page.content.decode()

    client.get(reverse("privacy_notice"))
    tanaka.refresh_from_db()
    assert tanaka.privacy_notice_seen_at is not None
    assert BANNER not in client.get(reverse("home")).content.decode()
    entry = AuditEntry.objects.get(action="account.privacy_notice.acknowledged")
    assert entry.actor == tanaka

    # Reading it again is not a second acknowledgement; the banner does not come back.
    client.get(reverse("privacy_notice"))
    client.logout()
    client.post(reverse("account_login"),
                {"login": tanaka.email, "password": "correct horse battery"})  # fmt: skip
    assert BANNER not in client.get(reverse("home")).content.decode()
    assert AuditEntry.objects.filter(action="account.privacy_notice.acknowledged").count() == 1


def test_an_anonymous_reader_is_not_recorded(client, council):
    client.get(reverse("privacy_notice"))
    assert not AuditEntry.objects.filter(action="account.privacy_notice.acknowledged").exists()


def test_the_notice_says_a_councils_entries_go_only_by_its_period_and_an_approved_disposal(
    client, council, settings
):
    """Only the entries of no council expire by themselves; a council's own entries are
    kept for its retention period and removed only when its secretariat approves."""
    from portal.retention.models import RetentionPolicy

    settings.KAIRAN_AUDIT_RETENTION_DAYS = 1825
    body = " ".join(client.get(reverse("privacy_notice")).content.decode().split())
    assert "審議会に関わらない記録(ログイン、" in body and "1825 日間(約 5 年)保存し" in body
    assert "その審議会が定める保存期間" in body and "定めていない審議会は 5 年" in body
    assert "自動では削除しません" in body and "廃棄を承認したときにだけ削除" in body
    assert "あなたが所属する審議会の操作記録の保存期間" not in body  # anonymous: none named

    RetentionPolicy.objects.create(committee=council.committee, audit_years=10)
    client.force_login(council.members[0])
    body = " ".join(client.get(reverse("privacy_notice")).content.decode().split())
    assert f"{council.committee.name}: 年度末から 10 年" in body
    assert council.other_committee.name not in body


def test_the_notice_is_true_in_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = " ".join(client.get(reverse("privacy_notice")).content.decode().split())
    assert "only when its secretariat approves their disposal" in body
    assert "Records of no council" in body
