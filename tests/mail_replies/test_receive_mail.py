"""Replies by mail through the MTA entry point (`manage.py receive_mail` on standard input):
real MIME files from the clients members use, in the charsets Japanese mail uses."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from circulation.models import InboundAttachment, InboundMessage, OutboxMessage, Reply
from circulation.services.replies import submit_reply
from portal.models import AuditEntry
from tests.mail_replies.conftest import load, receive_via_mta

pytestmark = pytest.mark.django_db
S = InboundMessage.State


def receipts():
    return OutboxMessage.objects.filter(purpose="circulation.reply_receipt")


def answers_sent():
    """Every mail Kairan wrote because of inbound mail (not the notices)."""
    return OutboxMessage.objects.exclude(purpose="circulation.notice")


# --- What members write is recorded as their reply -----------------------------------------

RECORDED = [
    # file, kind, words that must be in the opinion, meeting_needed
    ("outlook_iso2022jp_original_message.eml", "opinion",
     ["資料①の3ページ目、「原則として」の表現は削除すべきと考えます。",
      "㈱の表記も統一してください。"], True),
    ("sjis_outlook_sashidashinin.eml", "no_opinion", [], None),
    ("gmail_utf8_on_wrote.eml", "opinion",
     ["監査報告書の記載と議事録の記載が一致していません。", "確認をお願いします。"], False),
    ("gmail_ja_date_header.eml", "no_opinion", [], None),
    ("thunderbird_bottom_posted_flowed.eml", "opinion",
     ["議事録5ページの出席者数が、資料と異なります。"], False),
    ("iphone_ja.eml", "no_opinion", [], None),
    ("html_only_eucjp.eml", "opinion",
     ["資料を拝見しました。", "監査報告書の指摘事項3について、改善期限を明記してください。"], True),
    ("becky_raw_jis_subject.eml", "no_opinion", [], False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kind", "words", "meeting"), RECORDED)
def test_a_members_mail_becomes_their_reply(feed, tanaka, name, kind, words, meeting):
    message = feed(name)
    assert message.state == S.RECORDED, (message.reason, message.detail)
    reply = message.reply
    assert reply.recipient == tanaka
    assert (reply.kind, reply.meeting_needed, reply.channel) == (kind, meeting, Reply.Channel.MAIL)
    assert reply.submitted_by is None
    for words_ in words:
        assert words_ in reply.opinion
    # Nothing of the quoted notice, the quote header or the signature is in the opinion.
    for noise in ("書面照会をお送りします", "Original Message", "wrote", "差出人", "TEL",
                  "iPhone", "田中 一郎", "審議が必要\n", "alert"):  # fmt: skip
        assert noise not in reply.opinion
    tanaka.refresh_from_db()
    assert tanaka.current_reply == reply


def test_the_member_gets_exactly_one_receipt_quoting_what_was_recorded(feed, tanaka, token):
    message = feed("gmail_utf8_on_wrote.eml")
    receipt = receipts().get()
    assert receipt.to_email == "tanaka@example.jp"
    assert receipt.key == f"v{message.reply.version}"
    assert "メールでのご回答を、次の内容で受け付けました。" in receipt.body_text
    assert "> 第2項の「個人情報の取扱い」について" in receipt.body_text
    assert "審議は不要" in receipt.body_text
    # A link to change it without logging in, and a Reply-To to answer again.
    assert "/c/l/" in receipt.body_text
    assert receipt.reply_to.startswith("reply+")
    assert receipt.reply_to != f"reply+{token}@reply.localhost"  # a fresh address


def test_no_opinion_next_to_something_said_is_recorded_as_an_opinion(tanaka, token, when):
    raw = (
        f"From: tanaka@example.jp\nTo: reply+{token}@reply.localhost\nSubject: Re\n"
        "Message-ID: <extra-1@example.jp>\nContent-Type: text/plain; charset=utf-8\n\n"
        "意見なし\nただ、第3項の書き方は少し気になりました。\n"
    )
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw.encode())
    assert message.reply.kind == Reply.Kind.OPINION
    assert message.reply.opinion == "意見なし\nただ、第3項の書き方は少し気になりました。"
    assert "> ただ、第3項の書き方は少し気になりました。" in receipts().get().body_text


def test_attachments_are_kept_with_the_reply_under_safe_names(feed, tanaka):
    message = feed("outlook_attachments.eml")
    assert message.state == S.RECORDED
    assert message.reply.opinion.endswith("意見は添付の意見書のとおりです。\n\n田中")
    names = list(message.reply.attachments.values_list("original_name", flat=True))
    # The signature logo (inline, in multipart/related) is not an attachment.
    assert names == ["意見書.pdf", "資料の修正案.docx", "_fdp.exe"]
    pdf = InboundAttachment.objects.get(original_name="意見書.pdf")
    assert pdf.file.read().startswith(b"%PDF-1.4")
    assert pdf.content_type == "application/pdf"
    assert "意見書" not in pdf.file.name and ".." not in pdf.file.name  # server-made names
    assert "添付ファイル: 意見書.pdf, 資料の修正案.docx, _fdp.exe" in receipts().get().body_text


def test_a_later_mail_is_a_new_version_even_after_a_web_reply(feed, tanaka, council):
    submit_reply(recipient=tanaka, kind="opinion", opinion="ウェブでの意見",
                 submitted_by=council.members[0], base_version=0)  # fmt: skip
    message = feed("iphone_ja.eml")
    assert message.reply.version == 2
    assert list(tanaka.replies.values_list("channel", flat=True)) == ["web", "mail"]


def test_a_token_uppercased_by_an_mta_still_matches(tanaka, token, notice, circulation, when):
    raw = load("iphone_ja.eml", token=token.upper(), notice=notice)
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert message.state == S.RECORDED


def test_the_envelope_recipient_from_the_mta_identifies_the_member(tanaka, token, when):
    raw = (
        "From: tanaka@example.jp\nTo: undisclosed-recipients:;\nSubject: Re\n"
        "Message-ID: <bcc-1@example.jp>\nContent-Type: text/plain; charset=utf-8\n\nなし\n"
    ).encode()
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw, "--recipient", f"reply+{token}@reply.localhost")
    assert message.state == S.RECORDED
    assert message.envelope_recipient == f"reply+{token}@reply.localhost"


# --- What is never recorded ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply_outlook.eml", InboundMessage.Reason.AUTO_REPLY),
        ("vacation_subject_only.eml", InboundMessage.Reason.AUTO_REPLY),
        ("bounce_dsn.eml", InboundMessage.Reason.BOUNCE),
    ],
)
def test_auto_replies_and_bounces_are_never_recorded_nor_answered(feed, tanaka, name, reason):
    message = feed(name)
    assert (message.state, message.reason) == (S.IGNORED, reason)
    assert message.reply is None
    assert not tanaka.replies.exists()
    assert not answers_sent().exists()  # no answer: no mail loop


def test_a_null_envelope_sender_marks_an_automatic_message(tanaka, token, when):
    raw = load("iphone_ja.eml", token=token)
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw, "--sender", "")
    assert (message.state, message.reason) == (S.IGNORED, InboundMessage.Reason.AUTO_REPLY)


def test_a_reply_forwarded_by_someone_else_is_held_not_recorded(feed, tanaka, council):
    message = feed("forwarded_wrong_sender.eml")
    assert (message.state, message.reason) == (S.HELD, InboundMessage.Reason.WRONG_SENDER)
    assert message.recipient == tanaka  # the token said whose it is; the sender did not match
    assert not tanaka.replies.exists()
    # Nothing goes to the sending address (it may be forged); 田中 is told, at the
    # registered address, that a mail in their name was held, and from where it came.
    answer = answers_sent().get()
    assert answer.to_email == "tanaka@example.jp"
    assert "あなたの名前での返信と思われるメール" in answer.body_text
    assert "hisho@tanaka-office.example.jp" in answer.body_text
    assert "登録されたメールアドレスではありませんでした" in answer.body_text


def test_the_right_token_from_another_member_is_held(feed, circulation, council, when):
    takahashi = circulation.recipients.get(user=council.members[1])
    raw = load("iphone_ja.eml", token=_address_token(takahashi))  # 田中 replies to 高橋's
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert (message.state, message.reason) == (S.HELD, InboundMessage.Reason.WRONG_SENDER)
    assert not takahashi.replies.exists()


def test_a_forged_token_is_unmatched_and_only_the_registered_person_is_told(feed, tanaka, when):
    message = feed("forged_token.eml")
    assert (message.state, message.reason) == (S.UNMATCHED, InboundMessage.Reason.FORGED_TOKEN)
    assert message.recipient is None and message.committee is None
    assert not tanaka.replies.exists()
    # It came in 田中's name: 田中 is told at the registered address, once a day at most.
    told = answers_sent().get()
    assert told.to_email == "tanaka@example.jp"
    assert "どの書面照会への回答か分からない" in told.body_text
    again = load("forged_token.eml").replace(b"Message-ID: <", b"Message-ID: <again-")
    with time_machine.travel(when["during"], tick=False):
        assert receive_via_mta(again).reason == InboundMessage.Reason.FORGED_TOKEN
    assert answers_sent().count() == 1


def test_mail_to_the_plain_address_without_thread_headers_is_unmatched(feed, tanaka):
    message = feed("plain_no_reference.eml")
    assert (message.state, message.reason) == (S.UNMATCHED, InboundMessage.Reason.NO_MATCH)
    assert message.sender_user == tanaka.user
    assert not tanaka.replies.exists()


def test_late_mail_is_not_recorded_and_the_member_is_told_once(feed, tanaka, when):
    message = feed("late_after_deadline.eml", at=when["after"])
    assert (message.state, message.reason) == (S.IGNORED, InboundMessage.Reason.LATE)
    assert not tanaka.replies.exists()
    answer = answers_sent().get()
    assert answer.purpose == "circulation.mail_reply_late"
    assert answer.to_email == "tanaka@example.jp"
    assert "回答期限" in answer.body_text and "過ぎて届いたため" in answer.body_text
    assert "> 遅くなり申し訳ありません。" in answer.body_text
    # Another late mail (or an autoresponder answering ours) gets no second answer: no loop.
    feed("gmail_ja_date_header.eml", at=when["after"])
    assert answers_sent().count() == 1
    refusals = AuditEntry.objects.filter(action="circulation.inbound.ignored")
    assert refusals.count() == 2


def test_a_revoked_reply_address_is_held_and_the_member_told(feed, tanaka, council):
    from circulation.mail.tokens import revoke_tokens

    revoke_tokens(tanaka.pk, by=council.secretariat)
    message = feed("iphone_ja.eml")
    assert (message.state, message.reason) == (S.HELD, InboundMessage.Reason.TOKEN_REVOKED)
    assert not tanaka.replies.exists()
    assert answers_sent().get().to_email == "tanaka@example.jp"


def test_an_empty_mail_is_held_and_the_member_asked_to_write_again(tanaka, token, when):
    raw = (
        f"From: tanaka@example.jp\nTo: reply+{token}@reply.localhost\nSubject: Re\n"
        "Message-ID: <empty-1@example.jp>\nContent-Type: text/plain; charset=utf-8\n\n"
        "\n> 田中 委員 様\n> ご意見がない場合も「意見なし」とご回答ください。\n"
    )
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw.encode())
    assert (message.state, message.reason) == (S.HELD, InboundMessage.Reason.EMPTY)
    assert "1行目に「意見なし」" in answers_sent().get().body_text


# --- Nothing is lost, nothing is recorded twice ----------------------------------------------


def test_the_same_message_delivered_twice_is_stored_and_recorded_once(feed, tanaka):
    first = feed("sjis_outlook_sashidashinin.eml")
    again = feed("sjis_outlook_sashidashinin.eml")
    assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert tanaka.replies.count() == 1


def test_one_mail_sent_to_two_of_our_addresses_is_recorded_once(tanaka, token, notice, when):
    personal = load("iphone_ja.eml", token=token, notice=notice)
    plain = personal.replace(f"reply+{token}@".encode(), b"reply@")
    with time_machine.travel(when["during"], tick=False):
        receive_via_mta(personal)
        second = receive_via_mta(plain)
    assert (second.state, second.reason) == (S.IGNORED, InboundMessage.Reason.DUPLICATE)
    assert tanaka.replies.count() == 1


def test_the_raw_message_is_stored_before_processing_and_a_crash_loses_nothing(
    feed, tanaka, monkeypatch
):
    def broken(*args, **kwargs):
        raise ValueError("parser exploded")

    monkeypatch.setattr("circulation.inbound.service.parse_message", broken)
    message = feed("iphone_ja.eml")  # still exit 0: the message is stored
    assert (message.state, message.reason) == (S.HELD, InboundMessage.Reason.ERROR)
    assert "parser exploded" in message.detail
    assert bytes(message.raw).startswith(b"Return-Path: <tanaka@example.jp>")
    assert not tanaka.replies.exists()
    held = AuditEntry.objects.get(action="circulation.inbound.held")
    assert (held.object_id, held.result) == (str(message.pk), "failed")
    assert held.data["reason"] == "error" and "parser exploded" in held.data["detail"]


def test_messages_left_unprocessed_by_a_crash_are_processed_later(tanaka, token, when):
    from circulation.inbound.service import store_raw_message

    raw = load("iphone_ja.eml", token=token)
    with time_machine.travel(when["during"], tick=False):
        stored = store_raw_message(raw, source="mta")  # the process died right after this
    assert stored.state == S.RECEIVED
    with time_machine.travel(when["during"].replace(minute=30), tick=False):
        out = io.StringIO()
        call_command("receive_mail", "--process-pending", stdout=out)
    stored.refresh_from_db()
    assert stored.state == S.RECORDED
    assert "processed 1" in out.getvalue()


def test_the_mta_is_asked_to_retry_when_the_database_is_unreachable(tanaka, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(InboundMessage.objects, "create", unreachable)
    with pytest.raises(CommandError) as failed:
        call_command("receive_mail", stdin=io.BytesIO(load("iphone_ja.eml")))
    assert failed.value.returncode == 75  # EX_TEMPFAIL: Postfix keeps the message and retries
    assert not InboundMessage.objects.exists()


def test_empty_input_is_a_data_error(db):
    with pytest.raises(CommandError) as failed:
        call_command("receive_mail", stdin=io.BytesIO(b"\n"))
    assert failed.value.returncode == 65


def test_every_inbound_message_is_in_the_audit_log(feed, tanaka):
    message = feed("iphone_ja.eml")
    actions = set(
        AuditEntry.objects.filter(object_id=str(message.pk)).values_list("action", flat=True)
    )
    assert {"circulation.inbound.received", "circulation.inbound.recorded"} <= actions
    assert AuditEntry.objects.filter(
        action="circulation.reply.submitted", data__channel="mail"
    ).exists()


def _address_token(recipient) -> str:
    from circulation.mail.tokens import Purpose, make_token

    return make_token(recipient, Purpose.ADDRESS)
