"""Which recipient of which circulation a mail answers, and how sure we can be.

1. TOKEN: the token in a personal address (`reply+<token>@…`) in Delivered-To, X-Original-To,
   To, Cc or the envelope recipient: signed, so it names one recipient of one circulation.
   Only this path can record a reply (and only from the member's registered address).
2. THREAD: mail to the plain address whose In-Reply-To/References hold the Message-ID of one
   of our mails (random, stored on its outbox row) or a circulation's signed thread id. That
   tells which circulation it is about, never who wrote it: `From` can be written by anyone.
   The recipient is the one whose registered address is in `From` ("a reply in their
   name"), if any; the service holds such mail for the secretariat and tells that member.
Nothing guessable is read: the old sequential ids (`<outbox-12@…>`, `<circulation-4@…>`)
count only where a row records that we really sent that id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from circulation.inbound.parsing import ParsedMail, normalise_address
from circulation.mail.meeting import PURPOSES as MEETING_PURPOSES
from circulation.mail.message_ids import circulation_of_thread_id
from circulation.mail.tokens import Purpose, TokenRefused, is_revoked, read_token, token_in_address
from circulation.models import Circulation, OutboxMessage, Recipient

TOKEN, THREAD = "token", "thread"


@dataclass(frozen=True)
class Match:
    recipient: Recipient | None
    method: str = ""  # TOKEN or THREAD
    problem: str = ""  # "", "forged_token", "token_revoked", "no_match"
    circulation: Circulation | None = None  # THREAD: the circulation, even without recipient


def find_recipient(parsed: ParsedMail) -> Match:
    tokens = [t for address in parsed.to_addresses if (t := token_in_address(address))]
    if tokens:
        return _by_token(tokens)
    circulation = _by_thread(parsed)
    if circulation is not None:
        recipient = _recipient_in_name_of(circulation, parsed.from_address)
        return Match(recipient, THREAD, circulation=circulation)
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
        return Match(recipient, TOKEN, circulation=recipient.circulation)
    if revoked is not None:
        return Match(revoked, TOKEN, "token_revoked", revoked.circulation)
    return Match(None, problem="forged_token")


def _by_thread(parsed: ParsedMail) -> Circulation | None:
    """The circulation named by the first of our ids in In-Reply-To, then References."""
    for message_id in parsed.thread_ids:
        row = outbox_row(message_id)
        if row is not None and row.circulation_id is not None:
            return Circulation.objects.select_related("committee").get(pk=row.circulation_id)
        circulation_id = circulation_of_thread_id(message_id)
        if circulation_id is not None:
            found = Circulation.objects.select_related("committee").filter(pk=circulation_id)
            return found.first()
    return None


def _recipient_in_name_of(circulation: Circulation, address: str) -> Recipient | None:
    sender = normalise_address(address)
    domain = sender.rpartition("@")[2]
    if not domain:
        return None
    for recipient in _recipients(circulation.pk).filter(user__email__iendswith="@" + domain):
        if normalise_address(recipient.user.email) == sender:
            return recipient
    return None


def outbox_row(message_id: str) -> OutboxMessage | None:
    """The outbox row whose mail went out with this Message-ID (as we recorded it)."""
    bare = message_id.strip("<>")
    if not bare:
        return None
    return OutboxMessage.objects.filter(message_id__in=[message_id, f"<{bare}>", bare]).first()


def meeting_mail_answered(parsed: ParsedMail) -> OutboxMessage | None:
    """The meeting mail (invitation, change, cancellation, reminder, minutes) this mail
    answers, if the first of our mails in its thread headers is one: such a reply is about
    the meeting (出欠 and the like), not a reply to the circulation."""
    for message_id in parsed.thread_ids:
        row = outbox_row(message_id)
        if row is not None:
            return row if row.purpose in MEETING_PURPOSES else None
    return None


def _recipients(circulation_id: int) -> QuerySet[Recipient]:
    return Recipient.objects.filter(circulation_id=circulation_id).select_related(
        "user", "circulation__committee"
    )
