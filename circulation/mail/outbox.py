"""The one way mail leaves Kairan: `queue_mail` writes an outbox row inside the caller's
transaction; after commit a Celery task delivers it (circulation/mail/delivery.py)."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from circulation.mail.message_ids import new_message_id, thread_id
from circulation.models import Circulation, OutboxMessage
from portal.celery import app
from portal.models import Committee, User
from portal.permissions import committees_of

log = logging.getLogger(__name__)


def render_mail(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body of `templates/emails/<template>_*`. Every text body
    ends with the secretariat's contact of the councils in `contacts` (emails/_contact.txt;
    the HTML layout includes _contact.html)."""
    with translation.override(language):
        full = {"site_url": settings.SITE_URL, "LANGUAGE_CODE": language, **context}
        subject = _render_plain(f"emails/{template}_subject.txt", full)
        body_text = _render_plain(f"emails/{template}_body.txt", full)
        if full.get("contacts"):
            contact = _render_plain("emails/_contact.txt", full).strip("\n")
            body_text = body_text.rstrip("\n") + "\n\n" + contact + "\n"
        body_html = render_to_string(f"emails/{template}_body.html", full)
    return " ".join(subject.split()), body_text, body_html


def contacts_for(
    to: User | None, circulation: Circulation | None, context: dict[str, Any]
) -> list[Committee]:
    """Whose secretariat a mail names as its contact: the circulation's council, else the
    council the mail is about, else (a mail about no council) the person's councils."""
    if circulation is not None:
        return [circulation.committee]
    if isinstance(context.get("committee"), Committee):
        return [context["committee"]]
    if to is not None:
        return committees_of(to)
    return []


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """A plain-text part is not HTML: a title "A&B <案>" must not arrive as "A&amp;B &lt;案&gt;".
    (Only the HTML part is escaped; a subject is shown as text by every mail client.)"""
    return get_template(name).template.render(Context(context, autoescape=False))


@dataclass(frozen=True)
class Mail:
    """One message to queue: what `queue_mail` takes."""

    purpose: str
    to: User | str
    template: str
    context: dict[str, Any]
    circulation: Circulation | None = None
    deadline_version: int = 0
    key: str = ""
    reply_to: str = ""
    headers: dict[str, str] | None = None
    attachments: tuple[int, ...] = ()  # ids of materials to attach
    calendar: str = ""  # an .ics to attach (a session's invitation or cancellation)


def queue_mail(
    *,
    purpose: str,
    to: User | str,
    template: str,
    context: dict[str, Any],
    circulation: Circulation | None = None,
    deadline_version: int = 0,
    key: str = "",
    reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> OutboxMessage | None:
    """Write one message to the outbox unless this (recipient, purpose, circulation,
    deadline version, key) already has one. Returns the new row, or None for a duplicate.

    Must be called inside the transaction of the change that causes the mail.
    """
    mail = Mail(purpose, to, template, context, circulation, deadline_version, key, reply_to,
                headers)  # fmt: skip
    return queue(mail)


def queue(mail: Mail) -> OutboxMessage | None:
    """`queue_mail` for a message described by a `Mail`."""
    return _save_one(_rendered(mail))


def queue_mails(mails: list[Mail]) -> int:
    """`queue_mail` for a fan-out (a notice to every recipient): the rows are written with
    one INSERT. If any of them already exists, they are written one by one instead, skipping
    the duplicates as `queue_mail` does. Returns the number of rows written."""
    rows = [_rendered(mail) for mail in mails]
    if not rows:
        return 0
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller
            OutboxMessage.objects.bulk_create(rows)
    except IntegrityError:
        for row in rows:
            row.pk = None
        return sum(1 for row in rows if _save_one(row) is not None)
    if any(row.pk is None for row in rows):  # a backend that returns no ids (not ours)
        raise RuntimeError("bulk_create returned no primary keys")
    _enqueue_after_commit([row.pk for row in rows])
    return len(rows)


def _rendered(mail: Mail) -> OutboxMessage:
    to_user = mail.to if isinstance(mail.to, User) else None
    language = to_user.language if to_user else settings.LANGUAGE_CODE
    contacts = contacts_for(to_user, mail.circulation, mail.context)
    about = mail.circulation.committee if mail.circulation else mail.context.get("committee")
    subject, body_text, body_html = render_mail(
        mail.template, {"recipient_user": to_user, "contacts": contacts, **mail.context}, language
    )
    return _row(
        mail.to,
        mail.headers,
        purpose=mail.purpose,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        circulation=mail.circulation,
        committee=about if isinstance(about, Committee) else None,
        deadline_version=mail.deadline_version,
        key=mail.key,
        reply_to=mail.reply_to,
        attachments=list(mail.attachments),
        calendar=mail.calendar,
    )


def queue_rendered_mail(
    *,
    purpose: str,
    to: User | str,
    subject: str,
    body_text: str,
    body_html: str = "",
    circulation: Circulation | None = None,
    deadline_version: int = 0,
    key: str = "",
    reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> OutboxMessage | None:
    """`queue_mail` for a message rendered elsewhere (allauth's account mail)."""
    return _save_one(
        _row(
            to,
            headers,
            purpose=purpose,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            circulation=circulation,
            deadline_version=deadline_version,
            key=key,
            reply_to=reply_to,
        )
    )


def _row(to: User | str, headers: dict[str, str] | None, **fields: Any) -> OutboxMessage:
    """The unsaved row: `fields` are OutboxMessage's own (purpose, subject, bodies, …). Its
    Message-ID is random and given now (a retry sends the same); a circulation's mail refers
    to the circulation's thread id, so mail programs keep them together (message_ids.py)."""
    to_email = to.email if isinstance(to, User) else to
    headers = dict(headers or {})
    circulation = fields.get("circulation")
    if circulation is not None:
        thread = thread_id(circulation.pk)
        headers.setdefault("In-Reply-To", thread)
        headers.setdefault("References", thread)
    return OutboxMessage(
        to_email=to_email.lower(),
        to_user=to if isinstance(to, User) else None,
        headers=headers,
        message_id=new_message_id(),
        **fields,
    )


def _save_one(row: OutboxMessage) -> OutboxMessage | None:
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller
            row.save(force_insert=True)
    except IntegrityError:
        log.info("outbox: %s already queued for user %s", row.purpose, row.to_user_id)
        return None
    _enqueue_after_commit([row.pk])
    return row


class _Pending:
    """The rows queued by one transaction, handed to the broker together after its commit
    by `flush`, its `on_commit` callback; each later part of the rows has a witness (below)."""

    def __init__(self, message_ids: list[int]) -> None:
        # The first part was written where `flush` was registered: it lives and dies with it.
        self.first = message_ids
        self.later: list[weakref.ref[_Queued]] = []
        self.flushed = False

    def add(self, message_ids: list[int]) -> None:
        # A later part may be written inside a savepoint, so it is witnessed by an
        # `on_commit` callback of its own: Django drops that if the savepoint is rolled back,
        # and the part with it. No re-read of the rows after the commit is needed.
        witness = _Queued(self, message_ids)
        transaction.on_commit(witness)
        self.later.append(weakref.ref(witness))

    def flush(self) -> None:
        # Registered before any witness, so it runs while Django still holds the witnesses
        # of committed parts. On SQLite a rolled-back row's id can be taken again by a later
        # row of this transaction, which is then listed by its own part.
        self.flushed = True  # whoever still holds it (a test's list of callbacks) adds no more
        witnesses = [witness for ref in self.later if (witness := ref()) is not None]
        ids = self.first + [pk for witness in witnesses for pk in witness.message_ids]
        enqueue_delivery_batch(list(dict.fromkeys(ids)))


class _Queued:
    """Witness of a later part of a `_Pending`: alive until its transaction commits."""

    def __init__(self, pending: _Pending, message_ids: list[int]) -> None:
        self.pending, self.message_ids = pending, message_ids

    def __call__(self) -> None:
        # Its flush, registered first, has normally run and taken this part. Not so when this
        # part's transaction ran inside another's commit callbacks (a callback of T1 wrote
        # mail before T1's flush came): then this part is handed over here, at its commit,
        # and the flush, finding the witness gone, leaves it out.
        if not self.pending.flushed:
            enqueue_delivery_batch(self.message_ids)


_local = threading.local()


def _enqueue_after_commit(message_ids: list[int]) -> None:
    if transaction.get_autocommit():  # no transaction: the rows are committed already
        enqueue_delivery_batch(message_ids)
        return
    # One hand-over per transaction, in batches, rather than one task per message. Only a
    # weak reference is kept here: Django holds the callback until it runs and drops it when
    # its transaction or savepoint is rolled back, so a live `_Pending` is one that will be
    # flushed after this transaction commits; a dropped one is gone, and a new one is made.
    pending = getattr(_local, "pending", lambda: None)()
    if pending is None or pending.flushed:
        pending = _Pending(message_ids)
        transaction.on_commit(pending.flush)
        _local.pending = weakref.ref(pending)
    else:
        pending.add(message_ids)


# After one failed publish the process stops trying for a few seconds: a transaction that
# queued 200 messages must not wait 200 times for a broker that is down.
BROKER_PAUSE_SECONDS = 5.0
# Publishing from a request gives up after this long (connect, or a Redis that hangs).
PUBLISH_TIMEOUT_SECONDS = 1.0
_broker_down_until = 0.0
_publisher = threading.local()


# One task delivers up to this many rows over one SMTP connection (one claim transaction).
# Fewer, larger tasks spend less on the broker and the claim per message; 50 still spreads a
# 1,000-recipient fan-out over 20 tasks for as many workers as there are.
BATCH_SIZE = 50


def enqueue_delivery(message_id: int) -> None:
    enqueue_delivery_batch([message_id])


def enqueue_delivery_batch(message_ids: list[int]) -> None:
    """Hand rows to the broker, BATCH_SIZE per task. A broker that is down only delays
    delivery: the sweep re-queues every row still waiting, so this never raises."""
    global _broker_down_until
    # Celery's task module imports delivery, which queues through this module: the task is
    # looked up when first published, not at import (a cycle otherwise).
    from circulation.mail.tasks import deliver_outbox_batch

    for start in range(0, len(message_ids), BATCH_SIZE):
        chunk = message_ids[start : start + BATCH_SIZE]
        if time.monotonic() < _broker_down_until:
            return  # the rows stay queued; the sweep hands them over once the broker is back
        try:
            deliver_outbox_batch.apply_async(
                (chunk,), retry=False, connection=_publisher_connection()
            )
        except Exception as exc:  # any broker failure; the rows stay queued for the sweep
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            _drop_publisher_connection()
            log.warning("outbox: could not enqueue messages %s…: %s", chunk[:3], exc)


def _publisher_connection() -> Any:
    """One broker connection per thread for publishing, which tries once and gives up fast
    (the worker's and beat's own connections keep retrying for ever)."""
    connection = getattr(_publisher, "connection", None)
    if connection is None:
        options = dict(app.conf.broker_transport_options or {})
        options["max_retries"] = 0  # kombu: one connection attempt, no retry loop
        if app.conf.broker_url.startswith(("redis://", "rediss://")):
            options["socket_connect_timeout"] = PUBLISH_TIMEOUT_SECONDS
            options["socket_timeout"] = PUBLISH_TIMEOUT_SECONDS
        connection = app.connection_for_write(transport_options=options)
        _publisher.connection = connection
    return connection


def _drop_publisher_connection() -> None:
    connection = getattr(_publisher, "connection", None)
    _publisher.connection = None
    if connection is not None:
        try:
            connection.release()
        except Exception:  # a dead connection may fail to close; it is dropped either way
            log.debug("outbox: releasing the broker connection failed", exc_info=True)
