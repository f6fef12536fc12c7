"""Tried as an attacker would: a mail to the plain reply address with a forged From: of a
member and a thread header of ours — guessed (<circulation-4@…>, <outbox-70@…>) or even the
real one — must never be recorded as that member's reply. Only the personal address (a
signed token) from the member's registered address records; nothing is mailed to the
sending address; the member is told at the registered address that mail in their name was
held. Our Message-IDs cannot be guessed."""

from __future__ import annotations

import re
from email.mime.text import MIMEText
from email.utils import formataddr

import pytest
import time_machine
from django.core import mail

from circulation.mail import delivery
from circulation.mail.message_ids import circulation_of_thread_id, thread_id
from circulation.models import InboundMessage, OutboxMessage
from tests.mail_replies.conftest import receive_via_mta

pytestmark = pytest.mark.django_db
S, R = InboundMessage.State, InboundMessage.Reason


def forged(
    *,
    sender: str,
    in_reply_to: str,
    references: str = "",
    to: str = "reply@reply.localhost",
    text: str = "意見なし",
) -> bytes:
    message = MIMEText(text, "plain", "utf-8")
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: 【書面照会】"
    message["Message-ID"] = f"<forged-{abs(hash((sender, in_reply_to, to, text)))}@evil.example>"
    message["In-Reply-To"] = in_reply_to
    message["References"] = references or in_reply_to
    return message.as_bytes()


def mails_to_others(member_email: str) -> list[OutboxMessage]:
    sent = OutboxMessage.objects.exclude(purpose="circulation.notice")
    return [row for row in sent if row.to_email != member_email]


@pytest.mark.parametrize(
    "guessed", ["<circulation-{circulation}@localhost>", "<outbox-{notice}@localhost>"]
)
def test_a_forged_reply_with_a_guessed_thread_id_is_never_recorded(
    circulation, tanaka, notice, when, guessed
):
    thread = guessed.format(circulation=circulation.pk, notice=notice.pk)
    raw = forged(sender=formataddr(("田中 一郎", "tanaka@example.jp")), in_reply_to=thread)
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert message.state == S.UNMATCHED  # a guessable id names nothing
    assert message.reply is None and not tanaka.replies.exists()
    assert mails_to_others("tanaka@example.jp") == []
    told = OutboxMessage.objects.get(purpose="circulation.mail_reply_held")
    assert told.to_email == "tanaka@example.jp"  # the member, at the registered address


def test_even_the_real_thread_header_only_holds_the_mail(circulation, tanaka, notice, when):
    """The notice's real Message-ID (say the member forwarded the notice) tells which
    circulation the mail is about, never who wrote it."""
    raw = forged(sender="tanaka@example.jp", in_reply_to=notice.message_id,
                 references=f"{thread_id(circulation.pk)} {notice.message_id}")  # fmt: skip
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert (message.state, message.reason) == (S.HELD, R.NO_TOKEN)
    assert (message.circulation, message.recipient) == (circulation, tanaka)
    assert not tanaka.replies.exists()
    told = OutboxMessage.objects.get(purpose="circulation.mail_reply_held")
    assert told.to_email == "tanaka@example.jp"
    assert "あなたの名前での返信と思われるメール" in told.body_text
    assert "共通のアドレスに送られていました" in told.body_text
    assert "/c/l/" in told.body_text  # a link to answer for themselves


def test_a_forged_reply_in_another_members_name_tells_that_member_only(
    circulation, council, notice, when
):
    raw = forged(sender="takahashi@example.jp", in_reply_to=notice.message_id)
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    takahashi = circulation.recipients.get(user=council.members[1])
    assert (message.state, message.reason, message.recipient) == (S.HELD, R.NO_TOKEN, takahashi)
    assert not takahashi.replies.exists()
    told = OutboxMessage.objects.filter(purpose="circulation.mail_reply_held")
    assert list(told.values_list("to_email", flat=True)) == ["takahashi@example.jp"]


def test_a_stranger_using_the_thread_header_gets_no_answer(circulation, notice, when):
    raw = forged(sender="attacker@evil.example", in_reply_to=notice.message_id)
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert (message.state, message.reason, message.recipient) == (S.HELD, R.NO_TOKEN, None)
    assert message.committee == circulation.committee  # the council's secretariat sees it
    assert not OutboxMessage.objects.exclude(purpose="circulation.notice").exists()


def test_held_notices_cannot_be_used_to_flood_a_member(circulation, tanaka, notice, when):
    with time_machine.travel(when["during"], tick=False):
        for n in range(5):
            receive_via_mta(forged(sender="tanaka@example.jp", in_reply_to=notice.message_id,
                                   text=f"意見なし {n}"))  # fmt: skip
    assert OutboxMessage.objects.filter(purpose="circulation.mail_reply_held").count() == 1


def test_a_personal_address_from_another_sender_tells_the_member_not_the_sender(
    tanaka, token, when
):
    raw = forged(sender="hisho@tanaka-office.example.jp", in_reply_to="<x@y>",
                 to=f"reply+{token}@reply.localhost")  # fmt: skip
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert (message.state, message.reason) == (S.HELD, R.WRONG_SENDER)
    assert [row.to_email for row in mails_to_others("nobody")] == ["tanaka@example.jp"]


def test_only_the_personal_address_from_the_registered_address_records(tanaka, token, when):
    raw = forged(sender="Tanaka+phone@Example.JP", in_reply_to="<x@y>",
                 to=f"reply+{token}@reply.localhost")  # fmt: skip
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw)
    assert message.state == S.RECORDED
    assert message.reply.kind == "no_opinion"


def test_our_message_ids_are_random_and_threading_still_works(circulation, notice, when):
    rows = list(OutboxMessage.objects.filter(circulation=circulation))
    ids = [row.message_id for row in rows]
    assert len(set(ids)) == len(ids)
    for row in rows:
        assert re.fullmatch(r"<[0-9a-f]{32}@localhost>", row.message_id)  # 128 random bits
    # Every mail of the circulation refers to its thread id, which only we can write.
    root = thread_id(circulation.pk)
    assert {row.headers["References"] for row in rows} == {root}
    assert circulation_of_thread_id(root) == circulation.pk
    assert circulation_of_thread_id(f"<circulation-{circulation.pk}@localhost>") is None
    tampered = root.replace(f"circulation-{circulation.pk}.", f"circulation-{circulation.pk + 1}.")
    assert circulation_of_thread_id(tampered) is None
    # What goes on the wire is what was stored: a retry sends the same id.
    with time_machine.travel(when["during"], tick=False):
        delivery.deliver(notice.pk)
    sent = mail.outbox[-1]
    assert sent.extra_headers["Message-ID"] == notice.message_id
    assert sent.extra_headers["In-Reply-To"] == root
    notice.refresh_from_db()
    assert notice.message_id == sent.extra_headers["Message-ID"]
