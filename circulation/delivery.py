"""Delivering outbox rows. (Minimal first version; the Mail engine issue makes it robust.)"""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage


def deliver(message_id: int) -> None:
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=message_id, state=OutboxMessage.State.QUEUED)
            .first()
        )
        if message is None:
            return
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            to=[message.to_email],
            reply_to=[message.reply_to] if message.reply_to else None,
            headers=message.headers,
        )
        if message.body_html:
            mail.attach_alternative(message.body_html, "text/html")
        mail.send()
        message.state = OutboxMessage.State.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["state", "sent_at", "attempts"])


def sweep() -> None:
    for pk in OutboxMessage.objects.filter(state=OutboxMessage.State.QUEUED).values_list(
        "pk", flat=True
    ):
        deliver(pk)
