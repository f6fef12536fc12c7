"""Try a mail reply locally (demo): builds the mail a member's client would send — their
text, then the quoted notice — to their personal reply address, and feeds it through the
same service as the MTA and IMAP paths.

    manage.py simulate_mail_reply --to tanaka@example.jp --circulation 1 --text "意見なし"
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from circulation.inbound.service import receive_raw_message
from circulation.mail.receipts import quote
from circulation.mail.tokens import plain_reply_address, reply_address
from circulation.models import OutboxMessage, Recipient
from circulation.templatetags.kairan import format_jst

JST = dt.timezone(dt.timedelta(hours=9))


class Command(BaseCommand):
    help = "Simulate a member replying to the circulation notice by mail (for the demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, help="the member's registered mail address")
        parser.add_argument("--circulation", required=True, type=int, help="circulation id")
        parser.add_argument("--text", default="意見なし", help="what the member writes")
        parser.add_argument("--from", dest="sender", default="", help="another sender address")
        parser.add_argument(
            "--plain",
            action="store_true",
            help="reply to the plain address (In-Reply-To only): held, never recorded",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        recipient = (
            Recipient.objects.select_related("user", "circulation")
            .filter(circulation_id=options["circulation"], user__email__iexact=options["to"])
            .first()
        )
        if recipient is None:
            raise CommandError(
                f"{options['to']} is not a recipient of circulation {options['circulation']}"
            )
        raw = build_reply(
            recipient,
            text=options["text"],
            sender=options["sender"] or recipient.user.email,
            plain=options["plain"],
        )
        message = receive_raw_message(raw, source="simulate")
        self.stdout.write(f"inbound message #{message.pk}: {message.get_state_display()}")
        if message.reason:
            self.stdout.write(f"reason: {message.get_reason_display()}")
        if message.reply:
            reply = message.reply
            self.stdout.write(f"recorded reply v{reply.version}: {reply.get_kind_display()}")
            if reply.opinion:
                self.stdout.write(reply.opinion)


def build_reply(recipient: Recipient, *, text: str, sender: str, plain: bool = False) -> bytes:
    """A realistic reply: the member's text above the quoted notice, threaded to it."""
    notice = (
        OutboxMessage.objects.filter(
            circulation=recipient.circulation_id,
            to_email__iexact=recipient.user.email,
            purpose="circulation.notice",
        )
        .order_by("-id")
        .first()
    )
    address = plain_reply_address() if plain else reply_address(recipient)
    mail = EmailMessage()
    mail["From"] = f"{recipient.user.full_name} <{sender}>" if sender else recipient.user.email
    mail["To"] = address
    mail["Subject"] = "Re: " + (notice.subject if notice else recipient.circulation.title)
    mail["Date"] = format_datetime(timezone.now().astimezone(JST))
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "example.jp")
    if notice is not None and notice.message_id:
        mail["In-Reply-To"] = notice.message_id
        mail["References"] = notice.message_id
    sent = (notice.sent_at or notice.created_at) if notice else timezone.now()
    header = f"{format_jst(sent, with_year=True)} Kairan <{address}>:"
    quoted = quote(notice.body_text.strip()) if notice else ""
    mail.set_content(f"{text}\n\n{header}\n{quoted}\n", charset="utf-8")
    return mail.as_bytes()
