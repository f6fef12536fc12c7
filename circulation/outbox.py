"""The one way mail leaves Kairan: `queue_mail` writes an outbox row inside the caller's
transaction; after commit a Celery task delivers it (circulation/delivery.py)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from portal.models import User

from .models import Circulation, OutboxMessage

log = logging.getLogger(__name__)


def render_mail(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body of `templates/emails/<template>_*`."""
    with translation.override(language):
        full = {"site_url": settings.SITE_URL, **context}
        subject = _render_plain(f"emails/{template}_subject.txt", full)
        body_text = _render_plain(f"emails/{template}_body.txt", full)
        body_html = render_to_string(f"emails/{template}_body.html", full)
    return " ".join(subject.split()), body_text, body_html


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """A plain-text part is not HTML: a title "A&B <案>" must not arrive as "A&amp;B &lt;案&gt;".
    (Only the HTML part is escaped; a subject is shown as text by every mail client.)"""
    return get_template(name).template.render(Context(context, autoescape=False))


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
    to_user = to if isinstance(to, User) else None
    language = to_user.language if to_user else settings.LANGUAGE_CODE
    subject, body_text, body_html = render_mail(
        template, {"recipient_user": to_user, **context}, language
    )
    return queue_rendered_mail(
        purpose=purpose,
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        circulation=circulation,
        deadline_version=deadline_version,
        key=key,
        reply_to=reply_to,
        headers=headers,
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
    to_user = to if isinstance(to, User) else None
    to_email = to.email if isinstance(to, User) else to
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller
            message = OutboxMessage.objects.create(
                purpose=purpose,
                to_email=to_email.lower(),
                to_user=to_user,
                circulation=circulation,
                deadline_version=deadline_version,
                key=key,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                reply_to=reply_to,
                headers=headers or {},
            )
    except IntegrityError:
        log.info("outbox: %s to %s already queued", purpose, to_email)
        return None
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    return message


def enqueue_delivery(message_id: int) -> None:
    """Hand one row to the broker. A broker that is down only delays delivery: the sweep
    re-queues every row still waiting, so this never raises into the request."""
    from .tasks import deliver_outbox_message

    try:
        deliver_outbox_message.apply_async((message_id,), retry=False)
    except Exception as exc:  # any broker failure; the row stays queued for the sweep
        log.warning("outbox: could not enqueue message %s: %s", message_id, exc)
