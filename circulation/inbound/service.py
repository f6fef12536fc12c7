"""Receiving a mail: store the raw bytes first (nothing is ever lost), then process it in a
second step that decides what the mail is and records the reply.

    received ─▶ recorded     the member's reply (Reply, channel "mail"), receipt sent
             ├▶ held         known circulation but not safe to record: no personal address
             │               (thread headers only), wrong sender, revoked address, broken
             │               MIME, empty or unclear body, the sender's term has ended
             │               → the secretariat assigns or discards
             ├▶ asked        「質問…」: a question to the secretariat
             ├▶ unmatched    no valid token nor thread → the secretariat assigns or discards
             └▶ ignored      auto-reply, bounce, after the deadline, duplicate
A crash while processing leaves the message stored; it is marked held (reason "error") or,
if even that fails, stays "received" and `process_pending` picks it up again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from circulation.inbound.matching import TOKEN, find_recipient, meeting_mail_answered
from circulation.inbound.parsing import BOUNCE, ParsedMail, normalise_address, parse_message
from circulation.inbound.reading import QUESTION, UNCLEAR, Interpretation, interpret
from circulation.inbound.text import strip_quotes
from circulation.mail.consultation import queue_vote_mail_held
from circulation.mail.meeting import session_of_mail
from circulation.mail.receipts import (
    queue_held_answer,
    queue_late_answer,
    queue_mail_reply_receipt,
    queue_question_receipt,
)
from circulation.mail.tokens import plain_reply_address
from circulation.models import InboundAttachment, InboundMessage, OutboxMessage, Recipient, Reply
from circulation.services.questions import QuestionRefused, ask_question
from circulation.services.replies import ReplyInvalid, ReplyRefused, submit_reply
from portal import audit
from portal.models import User
from portal.permissions import still_sits

log = logging.getLogger(__name__)
S = InboundMessage.State
R = InboundMessage.Reason


def receive_raw_message(
    raw: bytes,
    *,
    source: str,
    envelope_sender: str | None = None,
    envelope_recipient: str = "",
    now: dt.datetime | None = None,
) -> InboundMessage:
    """Store one message (committed before anything else), then process it. Raises only if
    the message could not be stored (the caller then asks the MTA to retry)."""
    message = store_raw_message(
        raw, source=source, envelope_sender=envelope_sender,
        envelope_recipient=envelope_recipient, now=now,
    )  # fmt: skip
    return process_safely(message.pk, now=now)


def store_raw_message(
    raw: bytes,
    *,
    source: str,
    envelope_sender: str | None = None,
    envelope_recipient: str = "",
    now: dt.datetime | None = None,
) -> InboundMessage:
    digest = hashlib.sha256(raw).hexdigest()
    existing = InboundMessage.objects.filter(sha256=digest).first()
    if existing is not None:  # the MTA or the IMAP poll delivered the same bytes again
        log.info("inbound: message %s already stored as #%s", digest[:12], existing.pk)
        return existing
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                raw=raw,
                sha256=digest,
                size=len(raw),
                source=source[:20],
                # "<>": the MTA said the envelope sender is empty (bounces, auto-replies).
                envelope_sender="<>" if envelope_sender == "" else (envelope_sender or "")[:254],
                envelope_recipient=(envelope_recipient or "")[:254],
                received_at=now or timezone.now(),
            )
            audit.record(
                "circulation.inbound.received",
                obj=message,
                actor_label=f"mail:{source}",
                data={"size": len(raw), "sha256": digest, "source": source},
            )
    except IntegrityError:  # the same bytes stored concurrently
        return InboundMessage.objects.get(sha256=digest)
    return message


def process_safely(message_id: int, *, now: dt.datetime | None = None) -> InboundMessage:
    try:
        return process_message(message_id, now=now)
    except Exception as exc:  # any failure: the raw message is stored; show it to people
        log.exception("inbound: processing message #%s failed", message_id)
        try:
            _hold_after_error(message_id, exc)
        except Exception:
            log.exception("inbound: could not mark message #%s", message_id)
        return InboundMessage.objects.get(pk=message_id)


def _hold_after_error(message_id: int, exc: Exception) -> None:
    """Held for the secretariat, audited like every other outcome of processing."""
    detail = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        held = InboundMessage.objects.filter(pk=message_id, state=S.RECEIVED).update(
            state=S.HELD, reason=R.ERROR, detail=detail
        )
        if held:
            message = InboundMessage.objects.get(pk=message_id)
            audit.record(
                "circulation.inbound.held",
                obj=message,
                committee=message.committee,
                actor_label=message.from_address or "mail",
                result="failed",
                data={"reason": R.ERROR, "detail": detail},
            )


def process_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> int:
    """Process messages left "received" by a crash (run by poll_imap and cron)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundMessage.objects.filter(state=S.RECEIVED, received_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        process_safely(pk)
    return len(ids)


def process_message(message_id: int, *, now: dt.datetime | None = None) -> InboundMessage:
    now = now or timezone.now()
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state != S.RECEIVED:
            return message  # processed already: idempotent
        parsed = parse_message(
            bytes(message.raw),
            envelope_sender=_envelope_sender(message),
            envelope_recipient=message.envelope_recipient,
        )
        _fill_from_headers(message, parsed)
        attachments = _store_attachments(message, parsed)
        _decide(message, parsed, attachments, now)
        message.processed_at = now
        message.save()
        audit.record(
            f"circulation.inbound.{message.state}",
            obj=message,
            committee=message.committee,
            actor_label=message.from_address,
            result="ok" if message.state in (S.RECORDED, S.ASKED) else "refused",
            data={
                "reason": message.reason,
                "recipient": message.recipient_id,
                "reply": message.reply_id,
                "question": message.question_id,
            },
        )
    return message


def _envelope_sender(message: InboundMessage) -> str | None:
    if message.envelope_sender == "<>":
        return ""
    return message.envelope_sender or None


def _fill_from_headers(message: InboundMessage, parsed: ParsedMail) -> None:
    message.from_address = parsed.from_address
    message.from_name = parsed.from_name
    message.to_addresses = ", ".join(parsed.to_addresses)[:2000]
    message.subject = parsed.subject
    message.message_id = parsed.message_id[:300]
    message.body_text = strip_quotes(parsed.text)
    message.sender_user = find_user(parsed.from_address)


def find_user(address: str) -> User | None:
    """The registered person with this address, case- and subaddress-insensitively."""
    wanted = normalise_address(address)
    if "@" not in wanted:
        return None
    domain = wanted.rpartition("@")[2]
    for user in User.objects.filter(email__iendswith="@" + domain):
        if normalise_address(user.email) == wanted:
            return user
    return None


def _store_attachments(message: InboundMessage, parsed: ParsedMail) -> list[InboundAttachment]:
    stored = []
    for attachment in parsed.attachments:
        row = InboundAttachment(
            message=message,
            original_name=attachment.filename,
            content_type=attachment.content_type,
            size=len(attachment.data),
            sha256=hashlib.sha256(attachment.data).hexdigest(),
        )
        row.file.save("attachment", ContentFile(attachment.data), save=False)
        row.save()
        stored.append(row)
    return stored


def _decide(
    message: InboundMessage,
    parsed: ParsedMail,
    attachments: list[InboundAttachment],
    now: dt.datetime,
) -> None:
    match = find_recipient(parsed)
    recipient = match.recipient
    if match.circulation is not None:
        message.recipient = recipient
        message.circulation = match.circulation
        message.committee = match.circulation.committee
    if parsed.automatic or _from_ourselves(parsed.from_address):
        reason = R.BOUNCE if parsed.automatic == BOUNCE else R.AUTO_REPLY
        return _set(message, S.IGNORED, reason)  # never answered: no mail loops
    if _is_duplicate(message):
        return _set(message, S.IGNORED, R.DUPLICATE)
    meeting_mail = meeting_mail_answered(parsed) if match.method != TOKEN else None
    if meeting_mail is not None:
        return _about_meeting(message, meeting_mail, parsed)
    if match.circulation is None:
        reason = R.FORGED_TOKEN if match.problem == "forged_token" else R.NO_MATCH
        _set(message, S.UNMATCHED, reason)
        if message.sender_user is not None and message.sender_user.is_active:
            # In a registered person's name: they are told (at most once a day), not the
            # sending address itself, which anyone can write.
            queue_held_answer(message, to=message.sender_user, reason=reason)
        return None
    if match.method != TOKEN:
        # Only thread headers (or From) say whose it is: anyone can write those. Held; the
        # member in whose name it came is told at their registered address, nobody else.
        return _hold(message, R.NO_TOKEN, tell=recipient)
    assert recipient is not None
    registered = normalise_address(parsed.from_address) == normalise_address(recipient.user.email)
    if not recipient.circulation.accepts_replies_at(now):
        return _late(message, recipient, answer=registered)
    if not registered:
        return _hold(message, R.WRONG_SENDER, tell=recipient)
    if match.problem == "token_revoked":
        return _hold(message, R.TOKEN_REVOKED, tell=recipient)
    if not still_sits(recipient.user, recipient.circulation.committee, timezone.localdate(now)):
        return _term_ended(message, recipient)
    if parsed.defects:
        message.detail = ", ".join(parsed.defects)
        return _hold(message, R.MALFORMED, tell=recipient)
    reading = interpret(message.body_text, has_attachments=bool(attachments))
    if reading.kind == QUESTION:
        return _ask(message, recipient, reading.opinion, now)
    if recipient.circulation.is_consultation:
        # A vote is never read from a mail: the secretariat checks it and may record it for
        # the member (services/votes.py record_vote_for); the member is told.
        _set(message, S.HELD, R.VOTE)
        queue_vote_mail_held(message, recipient)
        return None
    if reading.kind == UNCLEAR:
        return _hold(message, R.UNCLEAR, tell=recipient)
    if not reading.kind:
        return _hold(message, R.EMPTY, tell=recipient)
    return _record(message, recipient, reading, attachments, now)


def _hold(message: InboundMessage, reason: str, *, tell: Recipient | None) -> None:
    """Held for the secretariat. Only the member's registered address is ever told (never
    the sender, whose address may be forged), at most once per reason and deadline."""
    _set(message, S.HELD, reason)
    if tell is not None:
        queue_held_answer(message, to=tell, reason=reason)


def _ask(message: InboundMessage, recipient: Recipient, text: str, now: dt.datetime) -> None:
    """「質問…」: a question to the secretariat through the question service (answered to
    every recipient, as questions asked on the web are); the member gets a receipt."""
    try:
        question = ask_question(recipient.circulation_id, by=recipient.user, text=text, now=now)
    except QuestionRefused as refused:
        message.detail = str(refused)
        return _hold(message, R.UNCLEAR, tell=recipient)
    message.question = question
    _set(message, S.ASKED, R.NONE)
    queue_question_receipt(question, recipient)
    return None


def _record(
    message: InboundMessage,
    recipient: Recipient,
    reading: Interpretation,
    attachments: list[InboundAttachment],
    now: dt.datetime,
) -> None:
    try:
        reply = submit_reply(
            recipient=recipient, kind=reading.kind, opinion=reading.opinion,
            meeting_needed=reading.meeting_needed, channel=Reply.Channel.MAIL,
            submitted_by=None, base_version=None, now=now, send_receipt=False,
        )  # fmt: skip
    except ReplyRefused as refused:  # the deadline passed (or the term ended) meanwhile
        if refused.reason == "term_ended":
            return _term_ended(message, recipient)
        return _late(message, recipient)
    except ReplyInvalid:
        _set(message, S.HELD, R.EMPTY)
        return None
    attach_to_reply(attachments, reply)
    message.reply = reply
    _set(message, S.RECORDED, R.NONE)
    queue_mail_reply_receipt(reply, attachments=attachments)
    return None


def attach_to_reply(attachments: list[InboundAttachment], reply: Reply) -> None:
    ids = [a.pk for a in attachments]
    InboundAttachment.objects.filter(pk__in=ids).update(reply=reply)
    for attachment in attachments:
        attachment.reply = reply


def _about_meeting(
    message: InboundMessage, meeting_mail: OutboxMessage, parsed: ParsedMail
) -> None:
    """A reply to a meeting mail (出欠 and the like) goes to the secretariat, never recorded
    as a reply to the circulation; the person it was sent to is told it arrived."""
    circulation = meeting_mail.circulation
    message.circulation = circulation
    if circulation is not None:
        message.committee = circulation.committee
    else:  # a session on its own: its council's secretariat holds it
        session = session_of_mail(meeting_mail)
        message.committee = session.committee if session else None
    _set(message, S.HELD, R.MEETING)
    if normalise_address(parsed.from_address) == normalise_address(meeting_mail.to_email):
        queue_held_answer(message, to=message.recipient or meeting_mail.to_email, reason=R.MEETING)


def _late(message: InboundMessage, recipient: Recipient, *, answer: bool = True) -> None:
    """Never recorded; the member is told at the registered address (not a stranger)."""
    _set(message, S.IGNORED, R.LATE)
    if answer:
        queue_late_answer(recipient, message)


def _term_ended(message: InboundMessage, recipient: Recipient) -> None:
    """The sender's term has ended: not a reply any more, but their words are kept for the
    secretariat (held), and they are told at their registered address."""
    _hold(message, R.TERM_ENDED, tell=recipient)


def _set(message: InboundMessage, state: str, reason: str) -> None:
    message.state = state
    message.reason = reason


def _from_ourselves(address: str) -> bool:
    """Our own mail coming back (a forwarding loop): never answered, never recorded."""
    ours = {normalise_address(parseaddr(settings.DEFAULT_FROM_EMAIL)[1]),
            normalise_address(plain_reply_address())}  # fmt: skip
    return normalise_address(address) in ours


def _is_duplicate(message: InboundMessage) -> bool:
    """The same mail (Message-ID and sender) already became a reply: e.g. sent to both the
    personal and the plain address, or fetched from two mailboxes."""
    if not message.message_id:
        return False
    return (
        InboundMessage.objects.filter(
            message_id=message.message_id,
            from_address=message.from_address,
            state__in=(S.RECORDED, S.ASSIGNED),
        )
        .exclude(pk=message.pk)
        .exists()
    )
