"""Which recipient of which circulation a mail answers, without guessing.

1. The token in a personal address (`reply+<token>@…`) in Delivered-To, X-Original-To, To,
   Cc or the envelope recipient: signed, so it names one recipient of one circulation.
2. Addressed to the plain reply address: In-Reply-To/References holding the Message-ID of one
   of our mails (`<outbox-{pk}@…>`, or OutboxMessage.message_id) → that mail's circulation and
   addressee; or the circulation's thread id (`<circulation-{id}@…>`) when the sender is
   registered as a recipient of that circulation.
The sender check (registered address) is made by the service, for every path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet

from circulation.inbound.parsing import ParsedMail, normalise_address
from circulation.mail.meeting import PURPOSES as MEETING_PURPOSES
from circulation.mail.tokens import Purpose, TokenRefused, is_revoked, read_token, token_in_address
from circulation.models import OutboxMessage, Recipient

TOKEN, THREAD = "token", "thread"
_OUTBOX_ID = re.compile(r"^<outbox-(\d+)@([^>]+)>$")
_ROOT_ID = re.compile(r"^<circulation-(\d+)@([^>]+)>$")


@dataclass(frozen=True)
class Match:
    recipient: Recipient | None
    method: str = ""  # TOKEN or THREAD
    problem: str = ""  # "", "forged_token", "token_revoked", "no_match"


def find_recipient(parsed: ParsedMail) -> Match:
    tokens = [t for address in parsed.to_addresses if (t := token_in_address(address))]
    if tokens:
        return _by_token(tokens)
    recipient = _by_thread(parsed)
    if recipient is not None:
        return Match(recipient, THREAD)
    return Match(None, problem="no_match")


def _by_token(tokens: list[str]) -> Match:
    revoked: Recipient | None = None
    for token in tokens:
        try:
            data, recipient = read_token(token)
        except TokenRefused:
            continue
        if data.purpose != Purpose.ADDRESS:
            continue
        if is_revoked(recipient, data):
            revoked = recipient
            continue
        return Match(recipient, TOKEN)
    if revoked is not None:
        return Match(revoked, TOKEN, "token_revoked")
    return Match(None, problem="forged_token")


def _by_thread(parsed: ParsedMail) -> Recipient | None:
    for message_id in parsed.thread_ids:
        recipient = _by_outbox_id(message_id)
        if recipient is not None:
            return recipient
    sender = normalise_address(parsed.from_address)
    for message_id in parsed.thread_ids:
        root = _ROOT_ID.match(message_id)
        if root and _our_domain(root.group(2)):
            domain = sender.rpartition("@")[2]
            candidates = _recipients(int(root.group(1))).filter(user__email__iendswith="@" + domain)
            for recipient in candidates:
                if normalise_address(recipient.user.email) == sender:
                    return recipient
    return None


def _by_outbox_id(message_id: str) -> Recipient | None:
    outbox = _outbox_row(message_id)
    if outbox is None or outbox.circulation_id is None:
        return None
    return _recipients(outbox.circulation_id).filter(user__email__iexact=outbox.to_email).first()


def _outbox_row(message_id: str) -> OutboxMessage | None:
    """The outbox row whose mail had this Message-ID, if it was ours."""
    ours = _OUTBOX_ID.match(message_id)
    if ours:
        row = OutboxMessage.objects.filter(pk=int(ours.group(1))).first()
        # The mail engine records the id it sent; before that, the domain must be ours.
        if row is not None and (
            row.message_id.lower() == message_id if row.message_id else _our_domain(ours.group(2))
        ):
            return row
    bare = message_id.strip("<>")
    return OutboxMessage.objects.filter(message_id__in=[message_id, bare]).first()


def meeting_mail_answered(parsed: ParsedMail) -> OutboxMessage | None:
    """The meeting mail (invitation, change, cancellation, reminder, minutes) this mail
    answers, if the first of our mails in its thread headers is one: such a reply is about
    the meeting (出欠 and the like), not a reply to the circulation."""
    for message_id in parsed.thread_ids:
        row = _outbox_row(message_id)
        if row is not None:
            return row if row.purpose in MEETING_PURPOSES else None
    return None


def _recipients(circulation_id: int) -> QuerySet[Recipient]:
    return Recipient.objects.filter(circulation_id=circulation_id).select_related(
        "user", "circulation__committee"
    )


def mail_domain() -> str:
    """The domain of our Message-IDs: that of DEFAULT_FROM_EMAIL, else SITE_URL's host
    (the same rule as the mail engine's delivery)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    if "@" in address:
        return address.rsplit("@", 1)[1].lower()
    return (urlsplit(settings.SITE_URL).hostname or "localhost").lower()


def _our_domain(domain: str) -> bool:
    return domain.lower() == mail_domain()
