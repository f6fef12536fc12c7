"""The 「意見なし」 and 「回答する」 links in the notice: confirmation before any change, no
password, within the deadline only, never for someone else, never twice."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine

from circulation.mail.tokens import reply_links, revoke_tokens
from circulation.models import OutboxMessage, Reply
from circulation.services.replies import submit_reply
from portal.models import AuditEntry

pytestmark = pytest.mark.django_db
NO_MEETING = {"meeting": "no"}  # the confirmation page asks the meeting question


def links_in(notice: OutboxMessage) -> dict[str, str]:
    """The two links as the member sees them in the notice (paths only)."""
    urls = re.findall(r"https?://\S+/c/l/[a-z2-7]+/", notice.body_text)
    assert len(urls) == 2, notice.body_text
    return {"no_opinion": urlsplit(urls[0]).path, "reply": urlsplit(urls[1]).path}


@pytest.fixture
def links(notice) -> dict[str, str]:
    return links_in(notice)


def test_the_notice_carries_both_links_and_the_personal_reply_address(notice, tanaka):
    assert "「意見なし」と回答できます" in notice.body_text
    assert "意見なし</a>" in notice.body_html and "回答する</a>" in notice.body_html
    assert re.fullmatch(r"reply\+[a-z2-7]{40}@reply\.localhost", notice.reply_to)
    assert len(notice.reply_to.split("@")[0]) <= 64  # fits an address's local part
    others = OutboxMessage.objects.filter(purpose="circulation.notice").exclude(pk=notice.pk)
    assert notice.reply_to not in set(others.values_list("reply_to", flat=True))


def test_opening_the_no_opinion_link_changes_nothing(client, links, tanaka, during):
    """Mail scanners prefetch links with GET (and HEAD): that must never reply."""
    for _ in range(3):
        page = client.get(links["no_opinion"])
        assert page.status_code == 200
        client.head(links["no_opinion"])
    assert "「意見なし」と回答します" in page.content.decode()
    assert '<button type="submit">意見なし</button>' in page.content.decode()
    assert not tanaka.replies.exists()
    assert not OutboxMessage.objects.filter(purpose="circulation.reply_receipt").exists()


def test_the_button_records_no_opinion_without_a_password(client, links, tanaka, during):
    page = client.post(links["no_opinion"], NO_MEETING)
    assert page.status_code == 200
    assert "回答を受け付けました" in page.content.decode()
    reply = tanaka.replies.get()
    assert (reply.kind, reply.channel, reply.submitted_by) == ("no_opinion", "link", None)
    assert reply.meeting_needed is False
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert "回答: 意見なし" in receipt.body_text and "/c/l/" in receipt.body_text


def test_the_confirmation_asks_the_meeting_question_as_the_web_form_does(
    client, links, tanaka, during
):
    """Both the one-click 「意見なし」 and the web form require 審議すべき重要事項の有無."""
    page = client.get(links["no_opinion"]).content.decode()
    assert "<legend>審議すべき重要事項の有無</legend>" in page
    assert 'name="meeting" id="meeting-yes" value="yes" required' in page
    refused = client.post(links["no_opinion"])  # the button without a choice
    assert refused.status_code == 400
    assert "「審議が必要」か「審議は不要」を選んでください。" in refused.content.decode()
    assert not tanaka.replies.exists()
    assert client.post(links["no_opinion"], {"meeting": "yes"}).status_code == 200
    assert tanaka.replies.get().meeting_needed is True


def test_a_replayed_no_opinion_link_records_nothing_more(client, links, tanaka, during):
    client.post(links["no_opinion"], NO_MEETING)
    again = client.post(links["no_opinion"], NO_MEETING)
    assert again.status_code == 409
    assert "すでに使われた" in again.content.decode()
    assert tanaka.replies.count() == 1
    assert client.get(links["no_opinion"]).status_code == 409
    assert AuditEntry.objects.filter(
        action="circulation.link.refused", data__reason="used"
    ).exists()


def test_the_no_opinion_link_never_overwrites_a_later_reply(client, links, tanaka, council, during):
    submit_reply(recipient=tanaka, kind="opinion", opinion="第3項に意見があります。",
                 submitted_by=council.members[0], base_version=0)  # fmt: skip
    page = client.post(links["no_opinion"], NO_MEETING)
    assert page.status_code == 409
    tanaka.refresh_from_db()
    assert tanaka.current_reply.opinion == "第3項に意見があります。"


def test_links_stop_working_after_the_deadline(client, links, tanaka, when):
    with time_machine.travel(when["after"], tick=False):
        for url in links.values():
            page = client.get(url)
            assert page.status_code == 410
            assert "回答期限を過ぎた" in page.content.decode()
        assert client.post(links["no_opinion"], NO_MEETING).status_code == 410
    assert not tanaka.replies.exists()


def test_links_follow_an_extended_deadline(client, links, tanaka, when):
    tanaka.circulation.deadline = when["after"].replace(hour=23)
    tanaka.circulation.save()
    with time_machine.travel(when["after"], tick=False):
        assert client.post(links["no_opinion"], NO_MEETING).status_code == 200
    assert tanaka.replies.count() == 1


def test_the_secretariat_revokes_a_members_links(client, links, tanaka, council, during):
    client.force_login(council.secretariat)
    page = client.get(f"/c/{tanaka.circulation_id}/links/")
    assert page.status_code == 200 and "田中 委員" in page.content.decode()
    client.post(f"/c/{tanaka.circulation_id}/links/{tanaka.pk}/revoke/")
    assert AuditEntry.objects.filter(
        action="circulation.token.revoked", actor=council.secretariat
    ).exists()
    client.logout()
    for url in links.values():
        page = client.get(url)
        assert page.status_code == 410
        assert "事務局によって無効にされています" in page.content.decode()
    assert client.post(links["no_opinion"], NO_MEETING).status_code == 410
    assert not tanaka.replies.exists()


def test_links_in_mail_sent_after_a_revocation_work(client, tanaka, council, when):
    with time_machine.travel(when["during"], tick=False):
        revoke_tokens(tanaka.pk, by=council.secretariat)
    with time_machine.travel(when["during"] + dt.timedelta(seconds=2), tick=False):
        fresh = urlsplit(reply_links(tanaka)["no_opinion"]).path  # e.g. in a later reminder
        assert client.post(fresh, NO_MEETING).status_code == 200


def test_only_the_secretariat_may_revoke(client, tanaka, council):
    client.force_login(council.members[0])
    assert client.get(f"/c/{tanaka.circulation_id}/links/").status_code == 403
    assert client.post(f"/c/{tanaka.circulation_id}/links/{tanaka.pk}/revoke/").status_code == 403
    client.force_login(council.other_secretariat)
    assert client.get(f"/c/{tanaka.circulation_id}/links/").status_code == 404
    tanaka.refresh_from_db()
    assert tanaka.token_revoked_at is None


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "a" * 40,
        "amaaaaaeaaagwarqqbuxkalzh73d4a3vuhizx5ak",  # well formed, wrong signature
    ],
)
def test_forged_links_show_a_clear_page(client, tanaka, token, during):
    page = client.get(f"/c/l/{token}/")
    assert page.status_code == 404
    assert "このリンクは正しくありません" in page.content.decode()
    assert client.post(f"/c/l/{token}/").status_code == 404
    assert not tanaka.replies.exists()
    assert AuditEntry.objects.filter(
        action="circulation.link.refused", data__reason="invalid"
    ).exists()


def test_a_link_with_one_character_changed_is_refused(client, links, tanaka, during):
    path = links["no_opinion"]
    token = path.rstrip("/").rsplit("/", 1)[1]
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert client.post(path.replace(token, flipped)).status_code == 404
    assert not tanaka.replies.exists()


def test_a_link_opened_by_someone_logged_in_as_another_person_is_refused(
    client, links, tanaka, council, during
):
    client.force_login(council.chair)  # 山田 opens 田中's link
    for url in links.values():
        page = client.get(url)
        assert page.status_code == 403
        assert "山田 会長 さん宛てのものではありません" in page.content.decode()
    assert client.post(links["no_opinion"], NO_MEETING).status_code == 403
    assert not tanaka.replies.exists()
    entry = AuditEntry.objects.filter(action="circulation.link.refused").latest("id")
    assert (entry.actor, entry.data["reason"], entry.result) == (
        council.chair, "other_user", "refused",
    )  # fmt: skip


def test_the_member_logged_in_is_recorded_as_the_one_who_replied(
    client, links, tanaka, council, during
):
    client.force_login(council.members[0])
    client.post(links["no_opinion"], NO_MEETING)
    assert tanaka.replies.get().submitted_by == council.members[0]


def test_reply_link_leads_a_logged_in_member_to_the_circulation_page(
    client, links, tanaka, council, during
):
    client.force_login(council.members[0])
    page = client.get(links["reply"])
    assert page.status_code == 302
    assert page["Location"] == f"/c/{tanaka.circulation_id}/"


def test_reply_link_opens_a_form_without_login_and_records_an_opinion(
    client, links, tanaka, during
):
    page = client.get(links["reply"])
    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="opinion">意見</label>' in html
    assert "回答を送信" in html
    assert not tanaka.replies.exists()
    answer = {"kind": "opinion", "opinion": "第2項の数字を確認してください。", "meeting": "yes",
              "base_version": "0"}  # fmt: skip
    page = client.post(links["reply"], answer)
    assert page.status_code == 200
    reply = tanaka.replies.get()
    assert (reply.kind, reply.meeting_needed, reply.channel) == ("opinion", True, "link")
    assert OutboxMessage.objects.filter(purpose="circulation.reply_receipt").count() == 1


def test_the_reply_link_can_be_used_again_to_change_the_reply(client, links, tanaka, during):
    client.post(links["reply"], {"kind": "no_opinion", "meeting": "no", "base_version": "0"})
    page = client.get(links["reply"])
    assert 'value="1"' in page.content.decode()  # the form is based on version 1 now
    client.post(links["reply"], {"kind": "opinion", "opinion": "やはり意見があります。",
                                 "meeting": "yes", "base_version": "1"})  # fmt: skip
    assert list(tanaka.replies.values_list("kind", flat=True)) == ["no_opinion", "opinion"]


def test_an_opinion_without_text_is_refused_and_nothing_typed_is_lost(
    client, links, tanaka, during
):
    page = client.post(links["reply"], {"kind": "opinion", "opinion": "  ", "meeting": "no",
                                        "base_version": "0"})  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 400
    assert "「意見あり」の場合は意見を入力してください。" in html
    assert 'aria-describedby="opinion-help opinion-errors"' in html
    assert 'id="meeting-no" value="no" checked' in html
    assert not tanaka.replies.exists()


def test_two_tabs_the_second_is_shown_both_and_keeps_its_text(
    client, links, tanaka, council, during
):
    submit_reply(recipient=tanaka, kind="no_opinion", submitted_by=None, base_version=0)
    page = client.post(links["reply"], {"kind": "opinion", "opinion": "別の画面の意見",
                                        "meeting": "no", "base_version": "0"})  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 409
    assert "回答は別の画面またはメールで変更されています。" in html
    assert "別の画面の意見" in html
    assert tanaka.replies.count() == 1


def test_a_reply_posted_after_the_deadline_is_refused_and_the_text_kept(
    client, links, tanaka, when
):
    with time_machine.travel(when["during"], tick=False):
        form = client.get(links["reply"])
    assert form.status_code == 200
    with time_machine.travel(when["after"], tick=False):
        page = client.post(links["reply"], {"kind": "opinion", "opinion": "遅れた意見",
                                            "base_version": "0"})  # fmt: skip
    assert page.status_code == 410  # the link itself has expired
    assert not tanaka.replies.exists()


def test_the_reply_refused_at_the_deadline_by_the_service_keeps_the_text(
    client, links, tanaka, when, monkeypatch
):
    """The token was still valid when checked, the deadline passed before saving."""
    from circulation.services import replies

    real = replies.submit_reply

    def at_deadline(**kwargs):
        kwargs["now"] = when["after"]
        return real(**kwargs)

    monkeypatch.setattr("circulation.services.link_replies.submit_reply", at_deadline)
    with time_machine.travel(when["during"], tick=False):
        page = client.post(links["reply"], {"kind": "opinion", "opinion": "ぎりぎりの意見",
                                            "meeting": "yes", "base_version": "0"})  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 403
    assert "回答を受け付けられません" in html and "ぎりぎりの意見" in html
    assert AuditEntry.objects.filter(action="circulation.reply.refused").exists()
    assert not Reply.objects.exists()


def test_two_presses_of_the_button_at_the_same_moment_record_once(tanaka, during):
    """Both requests passed the link check before either saved: the version decides."""
    from circulation.mail.tokens import Purpose, check_token, make_token
    from circulation.services.link_replies import reply_no_opinion_by_link
    from circulation.services.replies import ReplyConflict

    token = make_token(tanaka, Purpose.NO_OPINION)
    first, _ = check_token(token, purposes=(Purpose.NO_OPINION,))
    second, _ = check_token(token, purposes=(Purpose.NO_OPINION,))
    reply_no_opinion_by_link(tanaka, first, by=None, meeting_needed=False)
    with pytest.raises(ReplyConflict):
        reply_no_opinion_by_link(tanaka, second, by=None, meeting_needed=False)
    assert tanaka.replies.count() == 1
    assert OutboxMessage.objects.filter(purpose="circulation.reply_receipt").count() == 1


def test_the_confirmation_button_is_protected_against_cross_site_posts(links, tanaka, during):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(links["no_opinion"])
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert browser.post(links["no_opinion"]).status_code == 403  # a forged cross-site POST
    assert not tanaka.replies.exists()
    posted = {"csrfmiddlewaretoken": csrf[1], **NO_MEETING}
    assert browser.post(links["no_opinion"], posted).status_code == 200
    assert tanaka.replies.count() == 1
