"""The mails of replying by mail and by link: the receipt quoting what was recorded, and the
answers to senders. Never sent for auto-replies or bounces; each answer at most once per
(address, circulation, deadline version, reason), which also stops any mail loop."""

from __future__ import annotations

from collections.abc import Sequence

from circulation.mail.circulation import circulation_url
from circulation.mail.outbox import queue_mail
from circulation.mail.tokens import reply_links
from circulation.models import InboundAttachment, InboundMessage, OutboxMessage, Recipient, Reply

RECEIPT_PURPOSE = "circulation.reply_receipt"  # the same purpose as the web receipt


def send_mail_reply_receipt(
    reply: Reply,
    *,
    attachments: Sequence[InboundAttachment] = (),
    extra_text: bool = False,
    assigned: bool = False,
) -> OutboxMessage | None:
    """The one receipt for a reply made by mail or by link: quotes what was recorded and
    carries the links (and the Reply-To address) to change it."""
    recipient = reply.recipient
    circulation = recipient.circulation
    links = reply_links(recipient)
    return queue_mail(
        purpose=RECEIPT_PURPOSE,
        to=recipient.user,
        template="mail_reply_receipt",
        context={
            "circulation": circulation,
            "reply": reply,
            "quoted_opinion": quote(reply.opinion),
            "attachments": [a.original_name for a in attachments],
            "extra_text": extra_text,
            "assigned": assigned,
            "links": links,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"v{reply.version}",
        reply_to=links["reply_to"],
    )


def send_late_answer(recipient: Recipient, message: InboundMessage) -> OutboxMessage | None:
    """Mail from the member's own address after the deadline: it was not recorded."""
    circulation = recipient.circulation
    return queue_mail(
        purpose="circulation.mail_reply_late",
        to=recipient.user,
        template="mail_reply_late",
        context={
            "circulation": circulation,
            "quoted_text": quote(message.body_text),
            "received_at": message.received_at,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key="late",
    )


def send_held_answer(
    message: InboundMessage, *, to: str | Recipient, reason: str
) -> OutboxMessage | None:
    """Not recorded, the secretariat will look at it: wrong sender (answered at the sending
    address, saying nothing about the circulation), a revoked address or an empty mail
    (answered at the member's registered address)."""
    circulation = message.circulation
    recipient_user = to.user if isinstance(to, Recipient) else None
    return queue_mail(
        purpose="circulation.mail_reply_held",
        to=recipient_user or str(to),
        template="mail_reply_held",
        context={
            "reason": reason,
            "circulation": circulation if recipient_user else None,
            "subject": message.subject,
            "url": circulation_url(circulation) if recipient_user and circulation else "",
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version if circulation else 0,
        key=reason,
    )


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in (text or "").split("\n"))
