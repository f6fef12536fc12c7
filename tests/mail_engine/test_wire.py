"""What goes on the wire: every message is composed by Django from its outbox row and sent
through the configured backend, so a real SMTP server (aiosmtpd, in this process) receives
exactly what the tests read. Nothing a header could smuggle in reaches the server, and an
address no server can deliver fails at once instead of being retried."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.mail import BadHeaderError
from django.test import override_settings

from circulation.mail import composing, delivery
from circulation.mail.message_ids import thread_id
from circulation.mail.outbox import queue_rendered_mail
from circulation.models import OutboxMessage
from tests.circulation.helpers import sent_circulation
from tests.mail_engine.realparts import SmtpSink

T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)


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
        composing.build_email(_row(**fields)).message()


def test_a_message_that_cannot_be_written_fails_at_once_instead_of_being_retried():
    assert delivery.is_permanent(BadHeaderError("newline in a header"))


@pytest.fixture
def smtp_server():
    with (
        SmtpSink() as sink,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=10,
        ),
    ):
        yield sink


@pytest.mark.django_db
def test_an_international_domain_goes_out_in_punycode(smtp_server, broker):
    row = queue_rendered_mail(
        purpose="test.idn", to="kaicho@例え.jp", subject="資料の送付", body_text="本文"
    )

    assert delivery.deliver(row.pk) == delivery.SENT

    (received,) = smtp_server.messages()
    assert received.to == ["kaicho@xn--r8jz45g.jp"]
    assert received.message["To"] == "kaicho@xn--r8jz45g.jp"


@pytest.mark.django_db
def test_an_address_with_a_non_ascii_local_part_fails_without_reaching_the_server(
    smtp_server, broker
):
    row = queue_rendered_mail(
        purpose="test.local", to="田中@example.jp", subject="資料の送付", body_text="本文"
    )

    assert delivery.deliver(row.pk) == delivery.FAILED

    assert smtp_server.count() == 0
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.FAILED and "ASCII" in row.last_error


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
    # Django 5.2 folds a long Japanese subject right after "Subject:"; mail clients read the
    # unfolded value without that fold's leading space (Python's parser keeps it).
    assert message["Subject"].lstrip() == row.subject
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
