"""allauth glue: no public sign-up (people are invited by the secretariat), and allauth's
own mail (login codes, password resets) goes through the outbox like all other mail.

Those mails (templates/account/email/) greet the person by name, name the site, say until
when the code or link works (in Japan time), end with the secretariat's contact of the
person's councils, and are written in the person's language."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext

from circulation.mail.outbox import queue_rendered_mail
from circulation.templatetags.kairan import format_jst
from portal.models import User
from portal.permissions import committees_of


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        person = context.get("user") or User.objects.filter(email__iexact=email).first()
        language = person.language if person else settings.LANGUAGE_CODE
        with translation.override(language):
            full = {**context, **mail_context(person)}
            message = self.render_mail(template_prefix, email, full)
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


def mail_context(person: User | None) -> dict[str, Any]:
    """What Kairan's account mails show besides allauth's own context: the person, the
    site's name and address, how long a code and a reset link work and until when (Japan
    time), and whom to ask."""
    now = timezone.now()
    code_seconds = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT
    reset_seconds = settings.PASSWORD_RESET_TIMEOUT
    site_name = gettext("回覧 Kairan")
    return {
        "person": person,
        "site_name": site_name,
        "site_url": settings.SITE_URL,
        "current_site": {"name": site_name, "domain": settings.SITE_URL},
        "expires_minutes": max(1, code_seconds // 60),
        "expires_at": format_jst(now + dt.timedelta(seconds=code_seconds), with_year=True),
        "expires_days": max(1, reset_seconds // 86400),
        "reset_expires_at": format_jst(now + dt.timedelta(seconds=reset_seconds), with_year=True),
        "contacts": committees_of(person) if person else [],
    }
