"""The secretariat sees held and unmatched mail of its committee, and assigns or discards it."""

from __future__ import annotations

import pytest
import time_machine

from circulation.models import InboundMessage, OutboxMessage
from portal.models import AuditEntry
from tests.mail_replies.conftest import load, receive_via_mta

pytestmark = pytest.mark.django_db
S = InboundMessage.State


@pytest.fixture
def held(feed) -> InboundMessage:
    return feed("forwarded_wrong_sender.eml")


@pytest.fixture
def unmatched_from_member(feed) -> InboundMessage:
    return feed("plain_no_reference.eml")  # from 田中, no token, no thread headers


@pytest.fixture
def unmatched_from_stranger(feed, when) -> InboundMessage:
    raw = (
        "From: someone@unknown.example\nTo: reply@reply.localhost\nSubject: hello\n"
        "Message-ID: <stranger-1@unknown.example>\nContent-Type: text/plain; charset=utf-8\n\n"
        "どなたか分かりませんが、資料について意見があります。\n"
    ).encode()
    with time_machine.travel(when["during"], tick=False):
        return receive_via_mta(raw)


def list_page(client, committee):
    return client.get(f"/c/committee/{committee.pk}/mail/")


def test_the_secretariat_sees_held_and_unmatched_mail_of_its_committee(
    client, council, held, unmatched_from_member, unmatched_from_stranger
):
    client.force_login(council.secretariat)
    page = list_page(client, council.committee)
    html = page.content.decode()
    assert page.status_code == 200
    assert "hisho@tanaka-office.example.jp" in html
    assert "登録されたアドレス以外からの返信" in html  # the reason
    assert "田中の代理で返信いたします。" in html  # a preview of the text
    assert "tanaka@example.jp" in html  # unmatched, from a member of this committee
    # Belongs to no council: the site's staff see it (test_mail_of_no_council.py), no
    # council's secretariat does.
    assert "someone@unknown.example" not in html


def test_another_committees_secretariat_sees_none_of_it(
    client, council, held, unmatched_from_member, unmatched_from_stranger
):
    client.force_login(council.other_secretariat)
    html = list_page(client, council.other_committee).content.decode()
    assert "someone@unknown.example" not in html
    assert "hisho@tanaka-office.example.jp" not in html
    assert "先日の資料の件" not in html  # 田中 is not on this committee
    url = f"/c/committee/{council.other_committee.pk}/mail/{held.pk}/"
    assert client.get(url).status_code == 404
    # And not through its own committee's URL with the first committee's id either.
    assert list_page(client, council.committee).status_code == 404


def test_members_and_outsiders_cannot_see_the_mail_pages(client, council, held):
    client.force_login(council.members[0])
    assert list_page(client, council.committee).status_code == 403
    client.force_login(council.outsider)
    assert list_page(client, council.committee).status_code == 404
    client.logout()
    assert list_page(client, council.committee).status_code == 302  # to the login page


def test_mail_text_is_shown_escaped(client, council, unmatched_from_member):
    client.force_login(council.secretariat)
    html = list_page(client, council.committee).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    detail = client.get(f"/c/committee/{council.committee.pk}/mail/{unmatched_from_member.pk}/")
    assert "<script>alert(1)</script>" not in detail.content.decode()


def test_assigning_a_held_mail_records_it_as_the_members_reply(
    client, council, held, tanaka, during
):
    client.force_login(council.secretariat)
    detail = client.get(f"/c/committee/{council.committee.pk}/mail/{held.pk}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "回答者に割り当てる" in html
    assert f'<option value="{tanaka.pk}" selected>' in html  # the token's recipient
    page = client.post(
        f"/c/committee/{council.committee.pk}/mail/{held.pk}/assign/",
        {"recipient": tanaka.pk, "kind": "no_opinion", "opinion": "", "meeting": ""},
    )
    assert page.status_code == 302
    held.refresh_from_db()
    assert (held.state, held.handled_by) == (S.ASSIGNED, council.secretariat)
    reply = tanaka.replies.get()
    assert (reply.kind, reply.channel, reply.submitted_by) == (
        "no_opinion", "mail", council.secretariat,
    )  # fmt: skip
    assert held.reply == reply
    entry = AuditEntry.objects.get(action="circulation.inbound.assigned")
    assert (entry.actor, entry.committee) == (council.secretariat, council.committee)
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert receipt.to_email == "tanaka@example.jp"
    assert "事務局が確認のうえ" in receipt.body_text


def test_an_unmatched_mail_from_a_member_is_offered_to_that_member(
    client, council, unmatched_from_member, tanaka
):
    client.force_login(council.secretariat)
    url = f"/c/committee/{council.committee.pk}/mail/{unmatched_from_member.pk}/"
    html = client.get(url).content.decode()
    assert f'<option value="{tanaka.pk}" selected>' in html
    assert "先日の資料の件、意見はありません。" in html  # the suggested opinion, editable


def test_an_invalid_assignment_keeps_what_was_typed(client, council, held, tanaka, during):
    client.force_login(council.secretariat)
    page = client.post(
        f"/c/committee/{council.committee.pk}/mail/{held.pk}/assign/",
        {"recipient": tanaka.pk, "kind": "opinion", "opinion": " ", "meeting": "yes"},
    )
    assert page.status_code == 400
    assert "「意見あり」の場合は意見を入力してください。" in page.content.decode()
    held.refresh_from_db()
    assert held.state == S.HELD


def test_assigning_after_the_deadline_is_refused(client, council, held, tanaka, when):
    with time_machine.travel(when["after"], tick=False):
        client.force_login(council.secretariat)
        page = client.post(
            f"/c/committee/{council.committee.pk}/mail/{held.pk}/assign/",
            {"recipient": tanaka.pk, "kind": "no_opinion"},
        )
    assert page.status_code == 400  # the circulation no longer accepts replies
    assert not tanaka.replies.exists()
    held.refresh_from_db()
    assert held.state == S.HELD


def test_another_committees_recipient_cannot_be_chosen(client, council, held, during):
    client.force_login(council.secretariat)
    page = client.post(
        f"/c/committee/{council.committee.pk}/mail/{held.pk}/assign/",
        {"recipient": 999999, "kind": "no_opinion"},
    )
    assert page.status_code == 400
    held.refresh_from_db()
    assert held.state == S.HELD


def test_discarding_is_audited_and_the_message_kept(client, council, unmatched_from_member):
    client.force_login(council.secretariat)
    url = f"/c/committee/{council.committee.pk}/mail/{unmatched_from_member.pk}/discard/"
    assert client.post(url).status_code == 302
    unmatched_from_member.refresh_from_db()
    assert unmatched_from_member.state == S.DISCARDED
    assert bytes(unmatched_from_member.raw)  # nothing is deleted
    entry = AuditEntry.objects.get(action="circulation.inbound.discarded")
    assert (entry.actor, entry.committee) == (council.secretariat, council.committee)
    # Handled once: gone from the list, a second discard is told and changes nothing.
    assert unmatched_from_member not in list_page(client, council.committee).context["waiting"]
    client.post(url)
    assert AuditEntry.objects.filter(action="circulation.inbound.discarded").count() == 1


def test_attachments_download_for_the_secretariat_with_a_safe_name(
    client, council, tanaka, token, when
):
    raw = load("outlook_attachments.eml", token=token).replace(
        b"From: =?iso-2022-jp", b"From: =?iso-2022-jp", 1
    )
    raw = raw.replace(b"<tanaka@example.jp>", b"<hisho@tanaka-office.example.jp>")
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert message.state == S.HELD
    attachment = message.attachments.get(original_name="_fdp.exe")
    client.force_login(council.secretariat)
    response = client.get(f"/c/committee/{council.committee.pk}/mail/attachment/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"MZ")
    assert AuditEntry.objects.filter(action="circulation.inbound.attachment_downloaded").exists()
    client.force_login(council.other_secretariat)
    url = f"/c/committee/{council.other_committee.pk}/mail/attachment/{attachment.pk}/"
    assert client.get(url).status_code == 404
