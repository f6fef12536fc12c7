"""Delivering outbox rows: claim under a row lock, send outside the lock, record the outcome.

At-least-once with the smallest window for a duplicate we can get: the row is marked
`sending` (committed) before the SMTP conversation and `sent` right after the server accepted
it. Only a worker killed between the server's "250 OK" and that update sends a message twice.

A claim is a lease (`leased_until`) that the sending worker renews as it goes, never during
one SMTP wait (at most EMAIL_TIMEOUT, shorter than the lease). A dead worker stops renewing:
once its lease lapsed, the sweep or the next batch to start takes its rows over, within a
minute of the death with the defaults (docs/mail-engine.md).

Every message is composed by Django (`EmailMultiAlternatives`) and handed to the configured
`EMAIL_BACKEND`, one connection per batch: the bytes the tests see are the bytes members get.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from circulation.mail import outbox
from circulation.mail.composing import build_email, message_id_of
from circulation.mail.reminders import cancel_reason
from circulation.models import OutboxMessage
from portal import audit
from portal.models import AuditEntry

log = logging.getLogger(__name__)
S = OutboxMessage.State

SENT, RETRY, FAILED, CANCELLED, SKIPPED = "sent", "retry", "failed", "cancelled", "skipped"


# --- One delivery --------------------------------------------------------------------------


def deliver(message_id: int) -> str:
    """Deliver one row if it is still queued and due. Returns what happened (SENT, RETRY,
    FAILED, CANCELLED or SKIPPED when another worker has it or it is not due)."""
    return deliver_batch([message_id]).get(message_id, SKIPPED)


def deliver_batch(message_ids: list[int], *, fill_to: int = 0) -> dict[int, str]:
    """Claim the due rows among `message_ids`, and rows whose lease lapsed (their worker died),
    and with `fill_to` other due rows up to that many (`claim_batch`), then send them one by
    one over one connection of the mail backend, recording each outcome as soon as the server
    answered (so a killed worker duplicates at most the one message in flight)."""
    with _unflushed_commits():
        claimed = claim_batch(message_ids, take_over=TAKE_OVER_AT_MOST, fill_to=fill_to)
        if not claimed:
            return {}
        connection = BatchConnection()
        try:
            return _send_claimed(claimed, connection)
        finally:
            connection.close()


# A batch takes over at most this many rows of dead workers (the sweep frees the rest).
TAKE_OVER_AT_MOST = 50
# The lease is renewed before a message once this long has passed since the last renewal, so
# every message starts with at least KAIRAN_MAIL_LEASE_SECONDS − 5 s (EMAIL_TIMEOUT + 5 s).
RENEW_AFTER_SECONDS = 5.0


def _send_claimed(claimed: list[OutboxMessage], connection: BatchConnection) -> dict[int, str]:
    lease = Lease(claimed)
    outcomes: dict[int, str] = {}
    for index, message in enumerate(claimed):
        if not lease.holds(message, rest=claimed[index:]):
            continue  # our lease lapsed (a stuck conversation) and another worker has it
        outcome, exc = _deliver_claimed(message, connection)
        outcomes[message.pk] = outcome
        if exc is None:
            continue
        if outcome == RETRY and not isinstance(exc, smtplib.SMTPRecipientsRefused):
            # The server or the connection is in trouble, not this recipient: the rest of
            # the batch waits as long as this message does (the sweep brings them back).
            due = OutboxMessage.objects.values_list("next_attempt_at", flat=True).get(pk=message.pk)
            _release(claimed[index + 1 :], next_attempt_at=due)
            break
        # After any failure the next message starts on a new connection (closed only now:
        # closing says QUIT, which a relay that went silent makes us wait for).
        connection.close()
    return outcomes


class Lease:
    """The claim on one batch's rows (they share its `claimed_at`), renewed as the batch goes:
    before a message, once RENEW_AFTER_SECONDS have passed since the last renewal."""

    def __init__(self, claimed: list[OutboxMessage]) -> None:
        self.claimed_at = self.renewed = claimed[0].claimed_at
        self.held = {message.pk for message in claimed}

    def holds(self, message: OutboxMessage, *, rest: list[OutboxMessage]) -> bool:
        """Whether `message` (the first of `rest`, the batch's untried rows) is still ours,
        renewing the lease on all of `rest` first when it is due."""
        now = timezone.now()  # the lease is in the database's terms: wall-clock time
        if (now - self.renewed).total_seconds() >= RENEW_AFTER_SECONDS:
            self.renew([m.pk for m in rest if m.pk in self.held], now)
        return message.pk in self.held

    def renew(self, ids: list[int], now: dt.datetime) -> None:
        self.renewed = now
        mine = OutboxMessage.objects.filter(pk__in=ids, state=S.SENDING, claimed_at=self.claimed_at)
        if mine.update(leased_until=_lease_end(now)) < len(ids):
            # The lease lapsed meanwhile and some rows went to another worker: not ours now.
            kept = set(mine.values_list("pk", flat=True))
            log.warning("outbox: lease lapsed; %s rows taken over", len(set(ids) - kept))
            self.held = kept


def _lease_end(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.KAIRAN_MAIL_LEASE_SECONDS)


def _deliver_claimed(
    message: OutboxMessage, connection: BatchConnection
) -> tuple[str, BaseException | None]:
    reason = cancel_reason(message)
    if reason:
        _finish(message, state=S.CANCELLED, last_error=reason)
        return CANCELLED, None
    try:
        connection.send(build_email(message))
    except Exception as exc:  # classified below; nothing may leave a row in `sending`
        return _record_failure(message, exc), exc
    _mark_sent(message)
    return SENT, None


def claim(message_id: int, now: dt.datetime | None = None) -> OutboxMessage | None:
    """queued → sending for one row; None when the row is locked by another worker, already
    taken, or waiting for its next attempt."""
    claimed = claim_batch([message_id], now)
    return claimed[0] if claimed else None


def claim_batch(
    message_ids: list[int],
    now: dt.datetime | None = None,
    *,
    take_over: int = 0,
    fill_to: int = 0,
) -> list[OutboxMessage]:
    """queued → sending (claimed_at, a lease, attempts + 1) in one short transaction, skipping
    rows another worker holds (SKIP LOCKED) and rows not yet due; with `take_over`, also up
    to that many rows whose lease lapsed (their worker died), first. In id order otherwise.

    With `fill_to`, a batch smaller than that takes other due rows too, oldest first, up to
    that size: a storm of closes queues thousands of three-summary batches, and one SMTP
    session then carries fifty messages instead of three (the task handed each of those rows
    finds it taken and does nothing)."""
    now = now or timezone.now()
    if not (message_ids or take_over or fill_to):
        return []
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update(skip_locked=True)
        lapsed = []
        if take_over:
            lapsed = list(
                locked.filter(
                    state=S.SENDING,
                    leased_until__lt=now,
                    attempts__lt=settings.KAIRAN_MAIL_MAX_ATTEMPTS,
                ).order_by("leased_until", "pk")[:take_over]
            )
        due = []
        if message_ids:
            due = list(
                locked.filter(
                    pk__in=message_ids, state=S.QUEUED, next_attempt_at__lte=now
                ).order_by("pk")
            )
        messages = lapsed + due
        if len(messages) < fill_to:
            messages += list(
                locked.filter(state=S.QUEUED, next_attempt_at__lte=now)
                .exclude(pk__in=[m.pk for m in messages])
                .order_by("pk")[: fill_to - len(messages)]
            )
        if not messages:
            return []
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            state=S.SENDING, claimed_at=now, leased_until=_lease_end(now),
            attempts=F("attempts") + 1,
        )  # fmt: skip
    if lapsed:
        log.warning("outbox: took over %s rows whose lease lapsed", len(lapsed))
    for message in messages:
        message.state, message.claimed_at = S.SENDING, now
        message.attempts += 1
    return messages


def _release(messages: list[OutboxMessage], *, next_attempt_at: dt.datetime) -> None:
    """Give claimed but untried rows back (their attempt did not happen)."""
    if not messages:
        return
    OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], state=S.SENDING, claimed_at=messages[0].claimed_at
    ).update(state=S.QUEUED, attempts=F("attempts") - 1, next_attempt_at=next_attempt_at)


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
    if connection.vendor != "postgresql" or not transaction.get_autocommit():
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
    # Not conditional on `sending`: if the sweep re-queued the row meanwhile, recording that
    # it went out stops a second copy (unless another worker already sent it).
    OutboxMessage.objects.filter(pk=message.pk).exclude(state=S.SENT).update(
        state=S.SENT,
        sent_at=timezone.now(),
        message_id=message_id_of(message),
    )


def _finish(message: OutboxMessage, *, state: str, last_error: str, **fields: Any) -> None:
    # Only while our claim holds: a row taken over by another worker is theirs to record.
    OutboxMessage.objects.filter(
        pk=message.pk, state=S.SENDING, claimed_at=message.claimed_at
    ).update(state=state, last_error=last_error[:2000], **fields)


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


# --- The connection of one batch ------------------------------------------------------------


class BatchConnection:
    """The configured mail backend (`get_connection()`), opened when the batch's first message
    needs it, used for every message of the batch, and closed at its end: a TCP handshake and
    EHLO (and TLS in production) per batch, not per message."""

    def __init__(self) -> None:
        self.backend: Any = None

    def send(self, email: EmailMultiAlternatives) -> None:
        # No second try on a new connection when the server hangs up: a timeout reads as a
        # hang-up too, and two waits in one message would outlast the lease.
        if self.backend is None:
            backend = get_connection(fail_silently=False)
            backend.open()
            self.backend = backend
        if not self.backend.send_messages([email]):
            raise smtplib.SMTPException("the mail backend accepted nothing")

    def close(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception:  # a broken connection may fail to close; it is gone either way
                log.debug("outbox: closing the mail connection failed", exc_info=True)


# --- The sweep ----------------------------------------------------------------------------


def sweep(now: dt.datetime | None = None, batch: int = 2000) -> dict[str, int]:
    """Hand over again what was lost: rows whose lease lapsed (their worker died or is stuck)
    and queued rows whose task never arrived (broker down at commit, a lost message). Safe to
    run twice or concurrently: rows are taken under SKIP LOCKED and stamped `enqueued_at`."""
    now = now or timezone.now()
    counts = _free_lapsed(now, batch)
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
    counts["enqueued"] += len(ids)
    if any(counts.values()):
        log.info("outbox sweep: %s", counts)
    return counts


def _free_lapsed(now: dt.datetime, batch: int) -> dict[str, int]:
    """Rows in `sending` whose lease lapsed go back to `queued` and to the broker at once (or
    to `failed` when out of attempts: a message that kills its worker must not loop)."""
    lapsed = OutboxMessage.objects.filter(state=S.SENDING, leased_until__lt=now)
    note = "the worker sending this stopped renewing its claim (died or stuck); re-queued"
    failed = lapsed.filter(attempts__gte=settings.KAIRAN_MAIL_MAX_ATTEMPTS).update(
        state=S.FAILED, last_error=note
    )
    with transaction.atomic():
        ids = list(
            lapsed.select_for_update(skip_locked=True)
            .order_by("leased_until", "id")
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(
                state=S.QUEUED, next_attempt_at=now, enqueued_at=now, last_error=note
            )
            transaction.on_commit(lambda: _enqueue_all(ids))
    return {"requeued_stuck": len(ids), "failed_stuck": failed, "enqueued": len(ids)}


def _enqueue_all(ids: list[int]) -> None:
    outbox.enqueue_delivery_batch(ids)  # looked up at call time: tests replace it


def undelivered(circulation_id: int) -> list[OutboxMessage]:
    """Failed mail of one circulation, for the secretariat's tracking page."""
    return list(
        OutboxMessage.objects.filter(circulation_id=circulation_id, state=S.FAILED).order_by(
            "to_email", "id"
        )
    )
