"""A reply to a meeting mail — 「出席します」 to the invitation — is about the meeting: it goes
to the secretariat's list of held mail as 会議についての返信, is never recorded as a reply to
the circulation, and the person it was sent to is told it arrived. Before, the pipeline read
it as a late reply to the (closed) circulation and told the member the deadline had passed."""

from __future__ import annotations

from email.mime.text import MIMEText

import pytest
from django.urls import reverse

from circulation.inbound.service import receive_raw_message
from circulation.models import InboundMessage, OutboxMessage, Reply
from tests.meetings.helpers import schedule

pytestmark = pytest.mark.django_db
S, R = InboundMessage.State, InboundMessage.Reason


def answer_to(mail: OutboxMessage, text: str, *, sender: str = "") -> bytes:
    reply = MIMEText(text, "plain", "utf-8")
    reply["From"] = sender or mail.to_email
    reply["To"] = "reply@localhost"
    reply["Subject"] = "Re: " + mail.subject
    reply["Message-ID"] = "<attendance-1@example.jp>"
    reply["In-Reply-To"] = mail.message_id
    reply["References"] = f"{mail.headers['References']} {mail.message_id}"
    return reply.as_bytes()


def invitation_of(person) -> OutboxMessage:
    return OutboxMessage.objects.get(purpose="meeting.invitation", to_email=person.email)


def test_a_members_attendance_reply_is_held_for_the_secretariat_not_read_as_late(
    client, council, convened
):
    schedule(council, convened)
    tanaka = council.members[0]
    replies_before = Reply.objects.count()
    raw = answer_to(invitation_of(tanaka), "出席します。")
    message = receive_raw_message(raw, source="simulate")
    assert (message.state, message.reason) == (S.HELD, R.MEETING)
    assert message.circulation == convened.circulation
    assert Reply.objects.count() == replies_before
    assert not OutboxMessage.objects.filter(purpose="circulation.mail_reply_late").exists()
    told = OutboxMessage.objects.get(purpose="circulation.mail_reply_held", to_email=tanaka.email)
    assert "会議についてのご連絡として事務局に届けました" in told.body_text
    assert "回答期限" not in told.body_text
    client.force_login(council.secretariat)
    held = client.get(reverse("inbound_list", args=[council.committee.pk])).content.decode()
    assert "会議についての返信" in held


def test_a_chair_who_was_not_sent_the_circulation_is_held_too_not_unmatched(council, convened):
    schedule(council, convened)
    convened.circulation.recipients.filter(user=council.acting_chair).delete()
    mail = invitation_of(council.acting_chair)
    message = receive_raw_message(answer_to(mail, "欠席します。"), source="simulate")
    assert (message.state, message.reason) == (S.HELD, R.MEETING)
    assert message.committee == council.committee
    assert OutboxMessage.objects.filter(
        purpose="circulation.mail_reply_held", to_email=council.acting_chair.email
    ).exists()


def test_someone_else_answering_a_forwarded_invitation_is_held_but_not_answered(council, convened):
    schedule(council, convened)
    mail = invitation_of(council.members[1])
    raw = answer_to(mail, "代理で出席します。", sender="stranger@example.com")
    message = receive_raw_message(raw, source="simulate")
    assert (message.state, message.reason) == (S.HELD, R.MEETING)
    assert not OutboxMessage.objects.filter(purpose="circulation.mail_reply_held").exists()


def test_a_reply_to_the_circulations_own_notice_is_not_taken_for_a_meeting_mail(council, convened):
    """Only mail answering a meeting mail is diverted: a reply to the notice through the
    plain address is what it always is, mail without the member's personal address."""
    schedule(council, convened)
    notice = OutboxMessage.objects.get(purpose="circulation.notice",
                                       to_email=council.members[0].email)  # fmt: skip
    message = receive_raw_message(answer_to(notice, "意見なし"), source="simulate")
    assert (message.state, message.reason) == (S.HELD, R.NO_TOKEN)
