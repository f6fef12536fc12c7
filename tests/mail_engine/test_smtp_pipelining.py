"""A message goes to a relay that offers PIPELINING with MAIL, RCPT and DATA in one write;
every refusal still comes back as the smtplib exception delivery classifies (4xx retry, 5xx
failed), and the connection stays usable for the next member's message. Against a real SMTP
server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import smtplib

import pytest

from circulation.mail import smtp_pipelining
from tests.mail_engine.realparts import SmtpSink

FROM = "kairan@city.example.jp"
MESSAGE = (
    b"Subject: =?utf-8?b?6LOH5paZ44Gu6YCB5LuY?=\r\nFrom: kairan@city.example.jp\r\n"
    b"To: member@example.jp\r\nMIME-Version: 1.0\r\n\r\nfirst line\r\n.a line with a dot\r\n"
    b".\r\nlast line\r\n"
)


@pytest.fixture(params=[True, False], ids=["relay with PIPELINING", "relay without"])
def relay(request):
    with SmtpSink() as sink:
        sink.handler.pipelining = request.param
        yield sink


@pytest.fixture
def client(relay):
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as connection:
        yield connection


def test_the_message_arrives_as_it_was_written(relay, client):
    smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)

    (received,) = relay.messages()
    assert received.to == ["member@example.jp"]
    assert received.message["Subject"] == "資料の送付"
    body = received.message.get_content()
    assert body.splitlines() == ["first line", ".a line with a dot", ".", "last line"]


def test_pipelining_is_used_where_the_relay_offers_it(relay, client, monkeypatch):
    monkeypatch.setattr(client, "sendmail", lambda *a, **k: pytest.fail("one command at a time"))
    if relay.handler.pipelining:
        smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)
        assert len(relay.messages()) == 1
    else:
        with pytest.raises(pytest.fail.Exception):
            smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)


def test_an_unknown_recipient_is_refused_and_the_next_member_still_gets_theirs(relay, client):
    relay.handler.refuse["gone@example.jp"] = "550 5.1.1 User unknown"

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_pipelining.send(client, FROM, "gone@example.jp", MESSAGE)
    assert refused.value.recipients == {"gone@example.jp": (550, b"5.1.1 User unknown")}

    smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)
    assert [item.to for item in relay.messages()] == [["member@example.jp"]]


def test_a_refused_sender_is_reported_with_its_code(relay, client):
    relay.handler.refuse_sender = "451 4.3.0 Try again later"

    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)
    assert refused.value.smtp_code == 451

    relay.handler.refuse_sender = ""
    smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)
    assert len(relay.messages()) == 1


def test_a_greylisting_relay_gives_a_data_error_to_retry(relay, client):
    import time

    relay.handler.tempfail_until = time.monotonic() + 60

    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)
    assert refused.value.smtp_code == 451

    relay.handler.tempfail_until = 0.0
    smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)
    assert len(relay.messages()) == 1


def test_a_relay_closing_at_rcpt_closes_our_side_too(relay, client):
    relay.handler.refuse["member@example.jp"] = "421 4.3.2 Shutting down"

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_pipelining.send(client, FROM, "member@example.jp", MESSAGE)
    assert refused.value.recipients["member@example.jp"][0] == 421
    assert client.sock is None  # closed: delivery opens a new connection next time


def test_every_message_of_a_batch_goes_out_over_one_connection(relay, client):
    for n in range(5):
        smtp_pipelining.send(client, FROM, f"member{n}@example.jp", MESSAGE)

    parsed = [
        email.message_from_bytes(item.message.as_bytes(), policy=email.policy.default)
        for item in relay.messages()
    ]
    assert [item.to[0] for item in relay.messages()] == [f"member{n}@example.jp" for n in range(5)]
    assert all(message["Subject"] == "資料の送付" for message in parsed)
