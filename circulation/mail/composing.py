"""An outbox row as the message every backend sends (SMTP, locmem in tests, the demo's
files): Django's `EmailMultiAlternatives`, with our headers and the materials attached."""

from __future__ import annotations

from django.core.mail import BadHeaderError, EmailMultiAlternatives

from circulation.mail.attachments import attach_calendar, attach_materials
from circulation.mail.message_ids import mail_domain, thread_id
from circulation.models import OutboxMessage


def message_id_of(message: OutboxMessage) -> str:
    """The row's Message-ID: random, given when it was queued (outbox.py). A row queued
    before random ids (an upgrade with mail in flight) gets a stable one, so that a retry
    sends the same id."""
    return message.message_id or f"<outbox-{message.pk}@{mail_domain()}>"


def message_headers(message: OutboxMessage) -> dict[str, str]:
    """Our headers for a row, besides Subject, From, To, Date and Reply-To."""
    headers: dict[str, str] = {
        "Message-ID": message_id_of(message),
        "Auto-Submitted": "auto-generated",
        # Asks Exchange/Outlook not to answer with out-of-office notices.
        "X-Auto-Response-Suppress": "All",
    }
    if message.circulation_id:
        root = thread_id(message.circulation_id)
        headers["In-Reply-To"] = root
        headers["References"] = root
    for name, value in (message.headers or {}).items():
        if name.lower() != "message-id":  # the stable id is ours to give
            headers[name] = value
    return headers


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    """The row as the message every backend sends (SMTP, locmem in tests, the demo's files).
    Raises BadHeaderError for what cannot be put on the wire: a newline in a header (when
    Django renders it) or an address no server can deliver (`check_address`)."""
    check_address(message.to_email)
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
    attach_calendar(email, message)
    return email


def check_address(address: str) -> None:
    """Refuse an address that cannot be written for SMTP without SMTPUTF8 (which we do not
    assume): a non-ASCII local part (Django would write it as an encoded-word, which reaches
    nobody) or a domain that has no IDNA form. An international domain is fine: Django
    writes it in punycode."""
    local, _, domain = address.rpartition("@")
    if not local or not local.isascii():
        raise BadHeaderError(f"cannot send to {address!r}: not a plain ASCII mail address")
    try:
        domain.encode("idna")
    except UnicodeError as exc:
        raise BadHeaderError(f"cannot send to {address!r}: {exc}") from exc
