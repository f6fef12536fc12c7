"""What goes on the wire: the bytes composed for the SMTP server read, once parsed by a mail
client, exactly as the message Django builds from the same outbox row (the locmem and file
backends still use Django's), and a real SMTP server (aiosmtpd, in this process) receives
them through delivery's fast path."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
import time_machine
from django.core.mail import BadHeaderError
from django.test import override_settings

from circulation.mail import delivery, mime
from circulation.mail.message_ids import thread_id
from circulation.models import OutboxMessage
from tests.circulation.helpers import sent_circulation
from tests.mail_engine.realparts import SmtpSink

T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)
LONG_TITLE = (
    "【書面照会】令和8年度 第3回 運営会議議事録及び内部監査報告書について(ご確認のお願い)" * 2
)


def _row(**fields) -> OutboxMessage:
    values = {
        "pk": 4711,
        "purpose": "notice",
        "to_email": "tanaka@example.jp",
        "subject": "【書面照会】第3回 運営会議議事録",
        "body_text": "田中 様\n\n資料をご確認ください。\nhttps://kairan.example.jp/c/1/\n",
        "body_html": "<p>田中 様</p><p>資料を<strong>ご確認</strong>ください。</p>",
        "reply_to": "reply+abc@city.example.jp",
        "headers": {},
        "circulation_id": 12,
    }
    values.update(fields)
    return OutboxMessage(**values)


def _parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def _as_client_reads(message: email.message.EmailMessage) -> dict:
    """What a person's mail client shows: decoded headers and the text of each part."""
    skip = {"date", "content-type", "content-transfer-encoding", "mime-version"}
    # Stripped: Django folds a Japanese subject onto a continuation line, which a client
    # reads with a leading space; ours starts on the Subject line itself.
    return {
        "headers": {k.lower(): str(v).strip() for k, v in message.items() if k.lower() not in skip},
        "parts": [
            (part.get_content_type(), part.get_content().replace("\r\n", "\n"))
            for part in message.walk()
            if not part.is_multipart()
        ],
        "type": message.get_content_type(),
    }


CASES = {
    "a notice with text and HTML": {},
    "text only": {"body_html": ""},
    "a long Japanese subject": {"subject": LONG_TITLE},
    "an ASCII subject": {"subject": "Circulation: minutes of the 3rd meeting"},
    "no reply-to, no circulation": {"reply_to": "", "circulation_id": None},
    "a header of the caller's, and theirs Message-ID ignored": {
        "headers": {"X-Kairan-Purpose": "notice", "Message-ID": "<theirs@example.com>"}
    },
    "a long body line": {"body_text": "長い行" * 600},
}


@pytest.mark.parametrize("fields", CASES.values(), ids=CASES.keys())
@override_settings(DEFAULT_FROM_EMAIL="京都市 審議会事務局 <kairan@city.example.jp>")
def test_composed_bytes_read_as_djangos_message_does(fields):
    row = _row(**fields)
    ours = _parse(delivery.message_bytes(row))
    djangos = _parse(delivery.build_email(row).message().as_bytes(linesep="\r\n"))

    assert _as_client_reads(ours) == _as_client_reads(djangos)
    assert ours["Message-ID"] == "<outbox-4711@city.example.jp>"
    assert ours["Date"]  # every message is dated


def test_composed_bytes_are_seven_bit_with_crlf_line_ends_and_short_lines():
    data = delivery.message_bytes(_row(subject=LONG_TITLE, body_text="長い行" * 600))

    assert data.isascii()  # no relay on the way needs 8BITMIME
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 78


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "件名\r\nBcc: victim@example.com"},
        {"reply_to": "a@example.jp\nBcc: victim@example.com"},
        {"headers": {"X-Note": "a\nBcc: victim@example.com"}},
        {"to_email": "田中@example.jp"},
    ],
    ids=["subject", "reply-to", "header", "non-ASCII local part"],
)
def test_no_newline_or_unsendable_address_reaches_the_wire(fields):
    with pytest.raises(BadHeaderError):
        delivery.message_bytes(_row(**fields))


def test_a_message_that_cannot_be_written_fails_at_once_instead_of_being_retried():
    assert delivery.is_permanent(BadHeaderError("newline in a header"))


def test_an_international_domain_goes_out_in_punycode():
    assert mime.wire_address("kaicho@例え.jp") == "kaicho@xn--r8jz45g.jp"
    assert mime.wire_address("tanaka@example.jp") == "tanaka@example.jp"


@pytest.fixture
def smtp_server():
    with SmtpSink() as sink:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=10,
        ):
            yield sink
        delivery.close_connection()


@pytest.mark.django_db
def test_over_smtp_every_notice_arrives_once_readable_and_threaded(council, smtp_server):
    with time_machine.travel(T0, tick=False):
        circulation = sent_circulation(council, deadline=T0 + dt.timedelta(days=9))
    rows = list(OutboxMessage.objects.filter(circulation=circulation).order_by("pk"))

    outcomes = delivery.deliver_batch([row.pk for row in rows])

    assert set(outcomes.values()) == {delivery.SENT}
    received = {item.to[0]: item.message for item in smtp_server.messages()}
    assert sorted(received) == sorted(row.to_email for row in rows)
    tanaka = council.members[0]
    message = received[tanaka.email]
    row = next(r for r in rows if r.to_user_id == tanaka.pk)
    assert message["Subject"] == row.subject
    assert message["Message-ID"] == row.message_id  # random, given when queued
    assert message["References"] == thread_id(circulation.pk)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"] == row.reply_to
    text = message.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n") == row.body_text
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == row.body_html
    states = OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list(
        "state", flat=True
    )
    assert set(states) == {OutboxMessage.State.SENT}


@pytest.mark.django_db
def test_over_smtp_a_refused_address_fails_and_the_others_still_arrive(council, smtp_server):
    with time_machine.travel(T0, tick=False):
        circulation = sent_circulation(council, deadline=T0 + dt.timedelta(days=9))
    rows = list(OutboxMessage.objects.filter(circulation=circulation).order_by("pk"))
    smtp_server.handler.refuse[council.members[1].email.lower()] = "550 5.1.1 No such user"

    outcomes = delivery.deliver_batch([row.pk for row in rows])

    refused = next(r for r in rows if r.to_user_id == council.members[1].pk)
    assert outcomes[refused.pk] == delivery.FAILED
    assert "550" in OutboxMessage.objects.get(pk=refused.pk).last_error
    assert smtp_server.count() == len(rows) - 1
