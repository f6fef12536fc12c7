"""The secretariat's side of inbound mail: which held and unmatched messages a committee's
secretariat sees, and assigning (recording the reply as the member) or discarding them.

Who sees what:
- a message matched to a circulation (held, or any processed one): that committee only;
- an unmatched message from a registered person: the committees that person sits on (any
  term), so a forgotten token does not send a member's words to other councils;
- an unmatched message that belongs to no council (from an address nobody is registered
  with, or a person on no committee): no council's secretariat, only the site's staff
  (Django's is_staff or is_superuser, who run the installation: staff.py), who discard it
  or hand it to the council it belongs to.
The rule is circulation/reads/held_mail.py's (the to-do list counts with it too).
"""

from __future__ import annotations

import datetime as dt
from typing import IO

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from circulation.inbound.reading import NO_OPINION, OPINION, Interpretation, interpret
from circulation.inbound.service import attach_to_reply
from circulation.mail.receipts import queue_mail_reply_receipt
from circulation.models import Circulation, InboundAttachment, InboundMessage, Recipient, Reply
from circulation.reads.held_mail import visible_q
from circulation.services.replies import ReplyRefused, submit_reply
from portal import audit
from portal.models import Committee, Membership, User

S = InboundMessage.State


class AlreadyHandled(Exception):
    """Another secretariat user assigned or discarded the message meanwhile."""


def visible_to(committee: Committee) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(visible_q(committee.pk))


def of_no_council() -> QuerySet[InboundMessage]:
    """Mail that belongs to no council: for the site's staff only (staff.py)."""
    members_anywhere = Membership.objects.values("user_id")
    return InboundMessage.objects.filter(
        Q(sender_user__isnull=True) | ~Q(sender_user__in=members_anywhere),
        committee__isnull=True,
    ).exclude(state=S.RECEIVED)


def needs_attention(committee: Committee) -> QuerySet[InboundMessage]:
    return visible_to(committee).filter(state__in=InboundMessage.NEEDS_ATTENTION)


def recently_handled(committee: Committee, *, days: int = 60) -> QuerySet[InboundMessage]:
    since = timezone.now() - dt.timedelta(days=days)
    return (
        visible_to(committee)
        .exclude(state__in=InboundMessage.NEEDS_ATTENTION)
        .filter(received_at__gte=since)
    )


def assignable_recipients(committee: Committee) -> QuerySet[Recipient]:
    """Recipients of the committee's circulations that accept replies now."""
    return (
        Recipient.objects.filter(
            circulation__committee=committee,
            circulation__state=Circulation.State.OPEN,
            circulation__deadline__gt=timezone.now(),
        )
        # A consultation's vote is recorded on its own page (賛否を代理で記録).
        .exclude(circulation__kind=Circulation.Kind.CONSULTATION)
        .select_related("user", "circulation")
        .order_by("circulation__deadline", "circulation_id", "user__full_name")
    )


def suggested_reading(message: InboundMessage) -> Interpretation:
    """What the reading made of the text, as a reply to record: for an unclear mail the
    secretariat chooses 意見なし or 意見あり itself (nothing is chosen in advance)."""
    reading = interpret(message.body_text, has_attachments=message.attachments.exists())
    if reading.kind in (NO_OPINION, OPINION):
        return reading
    return Interpretation("", reading.opinion, reading.meeting_needed)


def assign_message(
    message_id: int,
    *,
    recipient: Recipient,
    kind: str,
    opinion: str,
    meeting_needed: bool | None,
    by: User,
    now: dt.datetime | None = None,
) -> Reply:
    """Record the message as this recipient's reply (the secretariat has checked who wrote
    it). Raises AlreadyHandled, or ReplyRefused/ReplyInvalid from the reply service."""
    now = now or timezone.now()
    refused: ReplyRefused | None = None
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state not in InboundMessage.NEEDS_ATTENTION:
            raise AlreadyHandled
        try:
            reply = submit_reply(
                recipient=recipient, kind=kind, opinion=opinion, meeting_needed=meeting_needed,
                channel=Reply.Channel.MAIL, submitted_by=by, base_version=None, now=now,
                send_receipt=False,
            )  # fmt: skip
        except ReplyRefused as exc:  # re-raised below, so the refusal's audit entry is kept
            refused = exc
        else:
            _mark_assigned(message, recipient, reply, kind, by, now)
    if refused is not None:
        raise refused
    return reply


def _mark_assigned(
    message: InboundMessage, recipient: Recipient, reply: Reply, kind: str, by: User,
    now: dt.datetime,
) -> None:  # fmt: skip
    attachments = list(message.attachments.all())
    attach_to_reply(attachments, reply)
    previous = {"state": message.state, "reason": message.reason}
    message.state = S.ASSIGNED
    message.reply = reply
    message.recipient = recipient
    message.circulation = recipient.circulation
    message.committee = recipient.circulation.committee
    message.handled_by = by
    message.handled_at = now
    message.save()
    audit.record(
        "circulation.inbound.assigned",
        actor=by,
        obj=message,
        committee=message.committee,
        data={**previous, "recipient": recipient.pk, "reply": reply.pk, "kind": kind},
    )
    queue_mail_reply_receipt(reply, attachments=attachments, assigned=True)


def discard_message(
    message_id: int, *, committee: Committee | None, by: User, now: dt.datetime | None = None
) -> InboundMessage:
    """The message leaves the lists (it stays stored); `committee`: whose secretariat
    discarded it, None for the site's staff discarding mail of no council."""
    now = now or timezone.now()
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state not in InboundMessage.NEEDS_ATTENTION:
            raise AlreadyHandled
        previous = {"state": message.state, "reason": message.reason}
        message.state = S.DISCARDED
        message.handled_by = by
        message.handled_at = now
        message.save(update_fields=["state", "handled_by", "handled_at"])
        audit.record(
            "circulation.inbound.discarded",
            actor=by,
            obj=message,
            committee=message.committee or committee,
            data=previous,
        )
    return message


def open_attachment(
    attachment: InboundAttachment, *, by: User, committee: Committee | None
) -> IO[bytes]:
    """The file, for download by the secretariat; the download is logged."""
    audit.record(
        "circulation.inbound.attachment_downloaded",
        actor=by,
        obj=attachment,
        committee=attachment.message.committee or committee,
        data={"message": attachment.message_id, "name": attachment.original_name},
    )
    return attachment.file.open("rb")


def hand_over(
    message_id: int, *, committee: Committee, by: User, now: dt.datetime | None = None
) -> InboundMessage:
    """The site's staff give mail of no council to the council it belongs to: from then on
    that council's secretariat sees it (and assigns or discards it) and the staff do not."""
    now = now or timezone.now()
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state not in InboundMessage.NEEDS_ATTENTION or message.committee_id:
            raise AlreadyHandled
        message.committee = committee
        message.save(update_fields=["committee"])
        audit.record(
            "circulation.inbound.handed_over",
            actor=by,
            obj=message,
            committee=committee,
            data={"from": message.from_address, "committee": committee.pk},
        )
    return message
