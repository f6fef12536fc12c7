"""The mails of replying by mail and by link: the receipt quoting what was recorded, and the
answers about mail that was not recorded. Never sent for auto-replies or bounces, and only
ever to the member's registered address (a sender's address may be forged); each answer at
most once per (address, circulation, deadline version, reason), which also stops any loop.
A receipt quotes at most a page (mail_text.first_page), then 「(以下省略)」 and a link."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from circulation.mail.circulation import circulation_url
from circulation.mail.outbox import queue_mail
from circulation.mail.text import first_page
from circulation.mail.tokens import reply_links
from circulation.models import (
    InboundAttachment,
    InboundMessage,
    OutboxMessage,
    Question,
    Recipient,
    Reply,
)
from portal.models import User

RECEIPT_PURPOSE = "circulation.reply_receipt"  # the same purpose as the web receipt


def queue_mail_reply_receipt(
    reply: Reply,
    *,
    attachments: Sequence[InboundAttachment] = (),
    assigned: bool = False,
) -> OutboxMessage | None:
    """The one receipt for a reply made by mail or by link: quotes what was recorded and
    carries the links (and the Reply-To address) to change it."""
    recipient = reply.recipient
    circulation = recipient.circulation
    links = reply_links(recipient)
    page, cut = first_page(reply.opinion)
    return queue_mail(
        purpose=RECEIPT_PURPOSE,
        to=recipient.user,
        template="mail_reply_receipt",
        context={
            "circulation": circulation,
            "reply": reply,
            "opinion_page": page,
            "quoted_opinion": quote(page),
            "opinion_cut": cut,
            "attachments": [a.original_name for a in attachments],
            "assigned": assigned,
            "links": links,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"v{reply.version}",
        reply_to=links["reply_to"],
    )


def queue_late_answer(recipient: Recipient, message: InboundMessage) -> OutboxMessage | None:
    """Mail from the member's own address after the deadline: it was not recorded."""
    circulation = recipient.circulation
    page, cut = first_page(message.body_text)
    return queue_mail(
        purpose="circulation.mail_reply_late",
        to=recipient.user,
        template="mail_reply_late",
        context={
            "circulation": circulation,
            "quoted_text": quote(page),
            "text_cut": cut,
            "received_at": message.received_at,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key="late",
    )


def queue_held_answer(
    message: InboundMessage, *, to: str | Recipient | User, reason: str
) -> OutboxMessage | None:
    """Not recorded, the secretariat will look at it; told to the member at the registered
    address (`to` a Recipient): a mail in their name from another address or without their
    personal reply address, a revoked address, broken or empty or unclear mail, a term that
    has ended. `to` a User: a registered person in whose name mail came that names no
    circulation (at most once a day). `to` an address: the person a meeting mail went to."""
    circulation = message.circulation
    recipient = to if isinstance(to, Recipient) else None
    replies = recipient is not None and circulation is not None and circulation.is_open
    person = recipient.user if recipient else to
    key = reason if circulation else f"{reason}-{timezone.localdate(message.received_at)}"
    return queue_mail(
        purpose="circulation.mail_reply_held",
        to=person if isinstance(person, User) else str(person),
        template="mail_reply_held",
        context={
            "reason": reason,
            "circulation": circulation if recipient else None,
            "subject": message.subject,
            "sender": message.from_address,
            "received_at": message.received_at,
            "url": circulation_url(circulation) if recipient and circulation else "",
            "links": reply_links(recipient) if replies and reason != "term_ended" else None,
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version if circulation else 0,
        key=key,
    )


def queue_question_receipt(question: Question, recipient: Recipient) -> OutboxMessage | None:
    """A question asked by mail: what was asked; the answer goes to every recipient."""
    circulation = recipient.circulation
    page, cut = first_page(question.text)
    return queue_mail(
        purpose="circulation.mail_question_receipt",
        to=recipient.user,
        template="mail_question_receipt",
        context={
            "circulation": circulation,
            "question": question,
            "quoted_text": quote(page),
            "text_page": page,
            "text_cut": cut,
            "url": circulation_url(circulation) + "#qa",
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"question-{question.pk}",
    )


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in (text or "").split("\n"))
