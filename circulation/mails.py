"""One function per mail of the circulation process; each writes an outbox row."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from portal.models import User

from .models import Circulation, OutboxMessage, Recipient, Reply
from .outbox import queue_mail
from .queries import tally
from .tokens import reply_links


def circulation_url(circulation: Circulation) -> str:
    return settings.SITE_URL + reverse("circulation_detail", args=[circulation.pk])


def send_notice(recipient: Recipient) -> OutboxMessage | None:
    """The circulation notice (書面照会のお知らせ) with the member's personal link, the
    one-click links and the personal Reply-To address (issue: mail replies)."""
    circulation = recipient.circulation
    links = reply_links(recipient)
    return queue_mail(
        purpose="circulation.notice",
        to=recipient.user,
        template="circulation_notice",
        context={
            "circulation": circulation,
            "recipient": recipient,
            "committee": circulation.committee,
            "materials": list(circulation.materials.filter(is_current=True)),
            "url": circulation_url(circulation),
            "links": links,
        },
        circulation=circulation,
        deadline_version=1,
        reply_to=links["reply_to"],
    )


def send_reply_receipt(reply: Reply) -> OutboxMessage | None:
    """The receipt after a reply: quotes what was recorded, with a link to change it."""
    circulation = reply.recipient.circulation
    return queue_mail(
        purpose="circulation.reply_receipt",
        to=reply.recipient.user,
        template="reply_receipt",
        context={
            "circulation": circulation,
            "reply": reply,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"v{reply.version}",
    )


def send_closing_summary(circulation: Circulation, to: User, *, decides: bool) -> None:
    """The summary at the deadline: the tally and a link to decide (or to follow)."""
    queue_mail(
        purpose="circulation.closing_summary",
        to=to,
        template="closing_summary",
        context={
            "circulation": circulation,
            "tally": tally(circulation),
            "decides": decides,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
    )
