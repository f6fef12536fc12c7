"""Delivering one outbox row: claimed under a lock, sent with stable headers, marked sent;
4xx and broken connections retried with backoff; 5xx failed at once and shown."""

from __future__ import annotations

import datetime as dt
import re
import smtplib

import pytest
import time_machine
from django.core import mail

from circulation.mail import delivery
from circulation.mail.message_ids import circulation_of_thread_id, thread_id
from circulation.mail.outbox import queue_rendered_mail
from circulation.models import OutboxMessage
from portal.models import AuditEntry
from tests.circulation.helpers import sent_circulation
from tests.mail_engine.backends import sent_to

S = OutboxMessage.State
T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)  # 9月1日(火) 10:00 JST


@pytest.fixture
def notices(council):
    """The circulation was just sent: five notices (chair, acting chair, three members)."""
    with time_machine.travel(T0, tick=False):
        circulation = sent_circulation(council, deadline=T0 + dt.timedelta(days=9))
    rows = list(OutboxMessage.objects.filter(circulation=circulation).order_by("to_email"))
    assert len(rows) == 5
    return circulation, rows


def test_a_notice_goes_out_once_with_thread_headers_and_is_marked_sent(notices):
    circulation, rows = notices
    row = rows[0]
    with time_machine.travel(T0 + dt.timedelta(seconds=5), tick=False):
        assert delivery.deliver(row.pk) == delivery.SENT
        assert delivery.deliver(row.pk) == delivery.SKIPPED  # a second task changes nothing

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [row.to_email]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    # Random, given when queued (not the row's number: nobody can guess it), and the
    # circulation's signed thread id (circulation/mail/message_ids.py).
    assert re.fullmatch(r"<[0-9a-f]{32}@city\.example\.jp>", row.message_id)
    assert sent.extra_headers["Message-ID"] == row.message_id
    root = thread_id(circulation.pk)
    assert root.startswith(f"<circulation-{circulation.pk}.")  # then its HMAC
    assert sent.extra_headers["In-Reply-To"] == root
    assert sent.extra_headers["References"] == root
    assert "List-Unsubscribe" not in sent.extra_headers
    assert sent.alternatives[0][1] == "text/html"  # text and HTML parts
    parsed = sent.message()
    assert parsed["Message-ID"] == row.message_id
    queued_id = row.message_id

    row.refresh_from_db()
    assert row.state == S.SENT
    assert row.attempts == 1
    assert row.sent_at == T0 + dt.timedelta(seconds=5)
    assert row.message_id == queued_id
    assert circulation_of_thread_id(root) == circulation.pk


def test_a_row_claimed_by_one_worker_is_not_sent_by_another(notices):
    _, rows = notices
    claimed = delivery.claim(rows[0].pk)
    assert claimed.state == S.SENDING and claimed.attempts == 1
    assert delivery.deliver(rows[0].pk) == delivery.SKIPPED
    assert mail.outbox == []


def test_a_temporary_refusal_is_retried_later_with_the_same_message_id(notices, smtp):
    _, rows = notices
    row = rows[0]
    smtp.script = [smtplib.SMTPDataError(451, b"4.7.1 greylisted, try again later")]
    with time_machine.travel(T0, tick=False):
        assert delivery.deliver(row.pk) == delivery.RETRY
    row.refresh_from_db()
    assert row.state == S.QUEUED
    assert row.attempts == 1
    assert "451" in row.last_error and "greylisted" in row.last_error
    # Backoff with jitter: between half and all of the first step (60 s).
    assert T0 + dt.timedelta(seconds=30) <= row.next_attempt_at <= T0 + dt.timedelta(seconds=60)

    with time_machine.travel(T0 + dt.timedelta(seconds=20), tick=False):
        assert delivery.deliver(row.pk) == delivery.SKIPPED  # not yet due
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        assert delivery.deliver(row.pk) == delivery.SENT
    row.refresh_from_db()
    assert (row.state, row.attempts) == (S.SENT, 2)
    assert "451" in row.last_error  # the history stays visible
    assert sent_to() == [row.to_email]
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPRecipientsRefused({"tanaka@example.jp": (450, b"mailbox busy")}),
        TimeoutError("timed out"),
    ],
    ids=["refused", "disconnected", "rcpt-450", "timeout"],
)
def test_connection_errors_and_4xx_are_retried(notices, smtp, error):
    _, rows = notices
    smtp.script = [error]
    assert delivery.deliver(rows[0].pk) == delivery.RETRY
    rows[0].refresh_from_db()
    assert rows[0].state == S.QUEUED and rows[0].last_error


def test_after_the_maximum_attempts_the_row_fails(notices, smtp, settings):
    _, rows = notices
    row = rows[0]
    smtp.script = [smtplib.SMTPDataError(421, b"try later")] * settings.KAIRAN_MAIL_MAX_ATTEMPTS
    moment = T0
    for attempt in range(1, settings.KAIRAN_MAIL_MAX_ATTEMPTS + 1):
        with time_machine.travel(moment, tick=False):
            outcome = delivery.deliver(row.pk)
        row.refresh_from_db()
        assert row.attempts == attempt
        moment = row.next_attempt_at + dt.timedelta(seconds=1)
    assert outcome == delivery.FAILED
    assert row.state == S.FAILED
    assert mail.outbox == []


def test_backoff_grows_exponentially_and_is_capped(settings):
    settings.KAIRAN_MAIL_RETRY_BASE_SECONDS = 60
    settings.KAIRAN_MAIL_RETRY_CAP_SECONDS = 600
    assert 30 <= delivery.backoff_seconds(1) <= 60
    assert 120 <= delivery.backoff_seconds(3) <= 240
    assert all(300 <= delivery.backoff_seconds(n) <= 600 for n in (5, 10, 30))
    assert len({delivery.backoff_seconds(4) for _ in range(20)}) > 1  # jitter


def test_a_5xx_for_one_recipient_fails_at_once_and_spares_the_others(notices, smtp):
    circulation, rows = notices
    bad = rows[0].to_email
    smtp.per_address = {
        bad: smtplib.SMTPRecipientsRefused({bad: (550, b"5.1.1 user unknown")}),
    }
    outcomes = [delivery.deliver(row.pk) for row in rows]
    assert outcomes == [delivery.FAILED] + [delivery.SENT] * 4
    failed = OutboxMessage.objects.get(pk=rows[0].pk)
    assert (failed.state, failed.attempts) == (S.FAILED, 1)
    assert "550" in failed.last_error and "user unknown" in failed.last_error
    assert sorted(sent_to()) == sorted(r.to_email for r in rows[1:])
    # The secretariat's tracking page lists it, and the failure is in the operation log.
    assert [m.to_email for m in delivery.undelivered(circulation.pk)] == [bad]
    entry = AuditEntry.objects.get(action="mail.failed")
    assert entry.committee == circulation.committee and entry.result == "failed"


def test_a_5xx_after_data_is_permanent_too(notices, smtp):
    _, rows = notices
    smtp.script = [smtplib.SMTPDataError(554, b"5.7.1 message rejected")]
    assert delivery.deliver(rows[0].pk) == delivery.FAILED


def test_one_smtp_connection_serves_many_messages_and_a_stale_one_is_reopened(notices, smtp):
    _, rows = notices
    for row in rows[:3]:
        delivery.deliver(row.pk)
    assert smtp.opened == 1
    # The server dropped the idle connection: reopened once, the message goes out once.
    smtp.script = [smtplib.SMTPServerDisconnected("idle timeout")]
    assert delivery.deliver(rows[3].pk) == delivery.SENT
    assert smtp.opened == 2
    assert len(mail.outbox) == 4


def test_account_mail_without_a_circulation_has_no_thread_headers(db):
    with time_machine.travel(T0, tick=False):
        row = queue_rendered_mail(
            purpose="account.login_code",
            to="someone@example.jp",
            subject="ログインコード",
            body_text="123456",
            key="x",
        )
        assert delivery.deliver(row.pk) == delivery.SENT
    headers = mail.outbox[0].extra_headers
    assert "References" not in headers and headers["Auto-Submitted"] == "auto-generated"
