"""allauth glue: no public sign-up (people are invited by the secretariat), and allauth's
own mail (login codes, password resets) goes through the outbox like all other mail."""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.http import HttpRequest


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from circulation.mail.outbox import queue_rendered_mail

        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, mime in getattr(message, "alternatives", [])
                if mime == "text/html"
            ),
            "",
        )
        purpose = "account." + template_prefix.rsplit("/", 1)[-1]
        with transaction.atomic():
            queue_rendered_mail(
                purpose=purpose,
                to=email,
                subject=message.subject,
                body_text=message.body,
                body_html=html,
                key=uuid.uuid4().hex,  # every code or reset link is a message of its own
            )
