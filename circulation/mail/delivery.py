"""Delivering outbox rows: claim under a row lock, send outside the lock, record the outcome.

At-least-once with the smallest window for a duplicate we can get: the row is marked
`sending` (committed) before the SMTP conversation and `sent` right after the server accepted
it. Only a worker killed between the server's "250 OK" and that update sends a message twice;
the sweep then finds the row stuck in `sending` and re-queues it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import smtplib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from circulation.mail import mime, sent_marks, smtp_pipelining
from circulation.mail.attachments import attach_materials
from circulation.models import OutboxMessage
from portal import audit
from portal.models import AuditEntry

log = logging.getLogger(__name__)
S = OutboxMessage.State

SENT, RETRY, FAILED, CANCELLED, SKIPPED = "sent", "retry", "failed", "cancelled", "skipped"
# A cached SMTP connection idle for longer than this is reopened instead of trusted: servers
# drop idle clients (RFC 5321 lets them after 5 minutes, many do it much sooner).
_IDLE_REOPEN_SECONDS = 20.0


# --- Identifiers ---------------------------------------------------------------------------


def mail_domain() -> str:
    """The domain of our Message-IDs: that of DEFAULT_FROM_EMAIL, else SITE_URL's host."""
    return _domain_of(settings.DEFAULT_FROM_EMAIL, settings.SITE_URL)


@lru_cache(maxsize=8)  # asked several times per message; parseaddr is slow
def _domain_of(from_email: str, site_url: str) -> str:
    address = parseaddr(from_email)[1]
    if "@" in address:
        return address.rsplit("@", 1)[1].lower()
    return (urlsplit(site_url).hostname or "localhost").lower()


def message_id_for(message_pk: int) -> str:
    """Stable for a row: a retry carries the same Message-ID as the first attempt."""
    return f"<outbox-{message_pk}@{mail_domain()}>"


def thread_root_id(circulation_id: int) -> str:
    """The conversation every mail of one circulation refers to (References/In-Reply-To)."""
    return f"<circulation-{circulation_id}@{mail_domain()}>"


_OUTBOX_ID = re.compile(r"<outbox-(\d+)@([^>]+)>")
_ROOT_ID = re.compile(r"<circulation-(\d+)@([^>]+)>")


def outbox_pk_from_message_id(header_value: str) -> int | None:
    """The outbox row a reply's In-Reply-To/References points at (for inbound mail)."""
    for pk, domain in _OUTBOX_ID.findall(header_value or ""):
        if domain.lower() == mail_domain():
            return int(pk)
    return None


def circulation_id_from_references(header_value: str) -> int | None:
    for pk, domain in _ROOT_ID.findall(header_value or ""):
        if domain.lower() == mail_domain():
            return int(pk)
    return None


def message_headers(message: OutboxMessage) -> dict[str, str]:
    """Our headers for a row, besides Subject, From, To, Date and Reply-To."""
    headers: dict[str, str] = {
        # Random, given when the row was queued (outbox); rows queued before that have none.
        "Message-ID": message.message_id or message_id_for(message.pk),
        "Auto-Submitted": "auto-generated",
        # Asks Exchange/Outlook not to answer with out-of-office notices.
        "X-Auto-Response-Suppress": "All",
    }
    if message.circulation_id:
        root = thread_root_id(message.circulation_id)
        headers["In-Reply-To"] = root
        headers["References"] = root
    for name, value in (message.headers or {}).items():
        if name.lower() != "message-id":  # the stable id is ours to give
            headers[name] = value
    return headers


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    """The row as a Django message, for backends that take those (locmem, the demo's files)."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.to_email],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=message_headers(message),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    attach_materials(email, message)
    return email


def message_bytes(message: OutboxMessage) -> bytes:
    """The row as the bytes an SMTP server receives (circulation/mail/mime.py; Django's message
    when materials are attached)."""
    if message.attachments:
        return build_email(message).message().as_bytes(linesep="\r\n")
    return mime.compose(
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        to_email=message.to_email,
        reply_to=message.reply_to,
        headers=message_headers(message),
    )


# --- One delivery --------------------------------------------------------------------------


def deliver(message_id: int) -> str:
    """Deliver one row if it is still queued and due. Returns what happened (SENT, RETRY,
    FAILED, CANCELLED or SKIPPED when another worker has it or it is not due)."""
    return deliver_batch([message_id]).get(message_id, SKIPPED)


def deliver_batch(message_ids: list[int]) -> dict[int, str]:
    """Claim the due rows among `message_ids` in one transaction, then send them one by one
    over one SMTP connection, recording each outcome as soon as the server answered (so a
    killed worker duplicates at most the one message in flight)."""
    with _unflushed_commits(), sent_marks.sent_ahead():
        return _deliver_batch(message_ids)


def _deliver_batch(message_ids: list[int]) -> dict[int, str]:
    started = time.monotonic()
    budget = settings.KAIRAN_MAIL_SENDING_TIMEOUT_SECONDS / 2
    claimed = claim_batch(message_ids)
    outcomes: dict[int, str] = {}
    for index, message in enumerate(claimed):
        if time.monotonic() - started > budget:
            # Long before the sweep would take these back: hand them over again ourselves.
            _release(claimed[index:], next_attempt_at=timezone.now(), republish=True)
            break
        outcome, exc = _deliver_claimed(message)
        outcomes[message.pk] = outcome
        if outcome == RETRY and not isinstance(exc, smtplib.SMTPRecipientsRefused):
            # The server or the connection is in trouble, not this recipient: the rest of
            # the batch waits as long as this message does (the sweep brings them back).
            _release(claimed[index + 1 :], next_attempt_at=_next_attempt(message.pk))
            break
    return outcomes


def _deliver_claimed(message: OutboxMessage) -> tuple[str, BaseException | None]:
    from circulation.mail.reminders import cancel_reason

    reason = cancel_reason(message)
    if reason:
        _finish(message, state=S.CANCELLED, last_error=reason)
        return CANCELLED, None
    try:
        _send(message)
    except Exception as exc:  # classified below; nothing may leave a row in `sending`
        return _record_failure(message, exc), exc
    _mark_sent(message)
    return SENT, None


def claim(message_id: int, now: dt.datetime | None = None) -> OutboxMessage | None:
    """queued → sending for one row; None when the row is locked by another worker, already
    taken, or waiting for its next attempt."""
    claimed = claim_batch([message_id], now)
    return claimed[0] if claimed else None


def claim_batch(message_ids: list[int], now: dt.datetime | None = None) -> list[OutboxMessage]:
    """queued → sending (claimed_at, attempts + 1), skipping rows another worker holds; in
    one statement on PostgreSQL, in one short transaction elsewhere."""
    now = now or timezone.now()
    if not message_ids:
        return []
    if transaction.get_connection().vendor == "postgresql":
        return _claim_in_one_statement(message_ids, now)
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, state=S.QUEUED, next_attempt_at__lte=now)
            .order_by("pk")
        )
        if not messages:
            return []
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            state=S.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    for message in messages:
        message.state, message.claimed_at = S.SENDING, now
        message.attempts += 1
    return messages


def _claim_in_one_statement(message_ids: list[int], now: dt.datetime) -> list[OutboxMessage]:
    # The lock, the change and the rows as changed, in one round trip and one pass over the
    # rows (it was a transaction of three statements: 30 % of a batch's claim, bench/).
    connection = transaction.get_connection()
    q = connection.ops.quote_name
    table = q(OutboxMessage._meta.db_table)
    columns = ", ".join(q(field.column) for field in OutboxMessage._meta.concrete_fields)
    sql = (
        f"UPDATE {table} SET state = %s, claimed_at = %s, attempts = attempts + 1"  # noqa: S608
        f" WHERE id IN (SELECT id FROM {table} WHERE id = ANY(%s) AND state = %s"
        " AND next_attempt_at <= %s ORDER BY id FOR UPDATE SKIP LOCKED)"
        f" RETURNING {columns}"
    )
    claimed = OutboxMessage.objects.raw(sql, [S.SENDING, now, list(message_ids), S.QUEUED, now])
    return sorted(claimed, key=lambda message: message.pk)


def _release(
    messages: list[OutboxMessage], *, next_attempt_at: dt.datetime, republish: bool = False
) -> None:
    """Give claimed but untried rows back (their attempt did not happen)."""
    if not messages:
        return
    ids = [m.pk for m in messages]
    OutboxMessage.objects.filter(
        pk__in=ids, state=S.SENDING, claimed_at=messages[0].claimed_at
    ).update(state=S.QUEUED, attempts=F("attempts") - 1, next_attempt_at=next_attempt_at)
    if republish:
        from circulation.mail.outbox import enqueue_delivery_batch

        enqueue_delivery_batch(ids)


def _next_attempt(message_pk: int) -> dt.datetime:
    return (
        OutboxMessage.objects.filter(pk=message_pk).values_list("next_attempt_at", flat=True).get()
    )


@contextmanager
def _unflushed_commits() -> Iterator[None]:
    """Delivery's own bookkeeping (claims, "sent" marks) commits without waiting for the disk.

    On PostgreSQL the connection runs with synchronous_commit off for the batch. The row itself
    was written durably by the change that queued it, so a database crash can only undo a
    claim or a "sent" mark made in the last fraction of a second: the sweep then sends that
    message again (a duplicate, never a loss). With it a "sent" mark is one round trip
    instead of a flush to disk (docs/mail-engine.md). Inside a caller's transaction (tests)
    nothing is changed: the caller decides when and how it commits."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # A broken connection: closing it means the next use starts with the defaults.
            log.warning("outbox: could not reset synchronous_commit; closing the connection")
            connection.close()


def _mark_sent(message: OutboxMessage) -> None:
    # Sent ahead without waiting for the answer where the database allows (sent_marks.py).
    sent_marks.record_sent(message.pk, message.message_id or message_id_for(message.pk))


def _finish(message: OutboxMessage, *, state: str, last_error: str, **fields: Any) -> None:
    OutboxMessage.objects.filter(pk=message.pk, state=S.SENDING).update(
        state=state, last_error=last_error[:2000], **fields
    )


def is_permanent(exc: BaseException) -> bool:
    """5xx from the server for this message, or a message that cannot be written (an address
    or header we cannot put on the wire): retrying cannot help."""
    if isinstance(exc, BadHeaderError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{to}: {code} {_text(msg)}" for to, (code, msg) in exc.recipients.items()]
        return "SMTPRecipientsRefused " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random, capped."""
    step = min(
        float(settings.KAIRAN_MAIL_RETRY_CAP_SECONDS),
        settings.KAIRAN_MAIL_RETRY_BASE_SECONDS * 2.0 ** max(attempts - 1, 0),
    )
    return step / 2 + random.uniform(0, step / 2)


def _record_failure(message: OutboxMessage, exc: BaseException) -> str:
    _drop_connection()
    error = describe(exc)
    permanent = is_permanent(exc)
    if not permanent and not isinstance(exc, smtplib.SMTPException | OSError):
        log.exception(
            "outbox: unexpected error delivering %s", message.pk, extra={"outbox_id": message.pk}
        )
    if permanent or message.attempts >= settings.KAIRAN_MAIL_MAX_ATTEMPTS:
        _finish(message, state=S.FAILED, last_error=error)
        log.warning(
            "outbox: message %s failed: %s", message.pk, error, extra={"outbox_id": message.pk}
        )
        audit.record(
            "mail.failed",
            obj=message,
            actor_label="mail",
            result=AuditEntry.Result.FAILED,
            data={"purpose": message.purpose, "to": message.to_email, "error": error},
        )
        return FAILED
    delay = backoff_seconds(message.attempts)
    _finish(
        message,
        state=S.QUEUED,
        last_error=error,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    log.info(
        "outbox: message %s will be retried in %.0f s: %s",
        *(message.pk, delay, error),
        extra={"outbox_id": message.pk},
    )
    return RETRY


# --- The SMTP connection, reused by one worker process --------------------------------------
# Opening a connection per message costs a TCP handshake and EHLO (and TLS in production):
# each worker process keeps one open between messages and drops it on any error.

_conn: dict[str, Any] = {"backend": None, "signature": None, "last_used": 0.0}


def _signature() -> tuple[str, str, int]:
    return (settings.EMAIL_BACKEND, getattr(settings, "EMAIL_HOST", ""), settings.EMAIL_PORT)


def _connection() -> tuple[Any, bool]:
    """The process's connection and whether it was reused (opened for an earlier message)."""
    reusable = (
        _conn["backend"] is not None
        and _conn["signature"] == _signature()
        and time.monotonic() - _conn["last_used"] <= _IDLE_REOPEN_SECONDS
    )
    if not reusable:
        _drop_connection()
        backend = get_connection(fail_silently=False)
        backend.open()
        _conn.update(backend=backend, signature=_signature())
    return _conn["backend"], reusable


def _drop_connection() -> None:
    backend = _conn["backend"]
    _conn["backend"] = None
    if backend is not None:
        try:
            backend.close()
        except Exception:  # a broken connection may fail to close; it is gone either way
            log.debug("outbox: closing the SMTP connection failed", exc_info=True)


def _send(message: OutboxMessage) -> None:
    backend, reused = _connection()
    try:
        _hand_over(backend, message)
    except smtplib.SMTPServerDisconnected:
        if not reused:
            raise
        # The server hung up on the idle connection before our MAIL FROM: nothing was
        # accepted, so one more try on a new connection cannot duplicate.
        _drop_connection()
        backend, _ = _connection()
        _hand_over(backend, message)
    _conn["last_used"] = time.monotonic()


def _hand_over(backend: Any, message: OutboxMessage) -> None:
    if isinstance(backend, SMTPBackend) and backend.connection is not None:
        # The bytes straight onto the open connection: no Django message to build; MAIL,
        # RCPT and DATA in one write where the relay allows it (smtp_pipelining.py).
        smtp_pipelining.send(
            backend.connection,
            mime.envelope_sender(),
            mime.wire_address(message.to_email),
            message_bytes(message),
        )
        return
    if not backend.send_messages([build_email(message)]):
        raise smtplib.SMTPException("the mail backend accepted nothing")


def close_connection() -> None:
    """For tests and worker shutdown."""
    _drop_connection()


# --- The sweep ----------------------------------------------------------------------------


def sweep(now: dt.datetime | None = None, batch: int = 2000) -> dict[str, int]:
    """Re-queue what was lost: rows stuck in `sending` (a worker killed mid-send) and queued
    rows whose task never arrived (broker down at commit, a lost message). Safe to run twice
    or concurrently: rows are taken under SKIP LOCKED and stamped `enqueued_at`."""
    now = now or timezone.now()
    counts = _release_stuck(now)
    grace = dt.timedelta(seconds=settings.KAIRAN_MAIL_REQUEUE_AFTER_SECONDS)
    untouched = Q(enqueued_at__isnull=True, created_at__lte=now - grace) | Q(
        enqueued_at__lte=now - grace
    )
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(untouched, state=S.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(enqueued_at=now)
            transaction.on_commit(lambda: _enqueue_all(ids))
    counts["enqueued"] = len(ids)
    if any(counts.values()):
        log.info("outbox sweep: %s", counts)
    return counts


def _release_stuck(now: dt.datetime) -> dict[str, int]:
    cutoff = now - dt.timedelta(seconds=settings.KAIRAN_MAIL_SENDING_TIMEOUT_SECONDS)
    stuck = OutboxMessage.objects.filter(state=S.SENDING, claimed_at__lt=cutoff)
    note = "the worker sending this stopped before recording the outcome; re-queued"
    # A message that kills its worker every time must not loop for ever.
    failed = stuck.filter(attempts__gte=settings.KAIRAN_MAIL_MAX_ATTEMPTS).update(
        state=S.FAILED, last_error=note
    )
    requeued = stuck.update(state=S.QUEUED, next_attempt_at=now, last_error=note)
    return {"requeued_stuck": requeued, "failed_stuck": failed}


def _enqueue_all(ids: list[int]) -> None:
    from circulation.mail.outbox import enqueue_delivery_batch

    enqueue_delivery_batch(ids)


def undelivered(circulation_id: int) -> list[OutboxMessage]:
    """Failed mail of one circulation, for the secretariat's tracking page."""
    return list(
        OutboxMessage.objects.filter(circulation_id=circulation_id, state=S.FAILED).order_by(
            "to_email", "id"
        )
    )
