"""A member's vote on a consultation (書面による議事): per item 承認 / 不承認 / 保留, with an
optional opinion and proposed rider.

A vote is the member's reply, so it is recorded by the reply service (services/replies.py):
a new version every time (none is ever changed), refused after the deadline or once the
member's term has ended (the refusal logged, the text shown back by the page), two tabs
never overwriting each other (`base_version`). This module adds the votes per item in the
same transaction and queues the one receipt quoting them.

Channels: the page (web), a one-click link per item (link; a confirmation page first) and
the secretariat recording a vote held in a mail for the member (mail, submitted_by the
secretariat).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.consultation import queue_vote_receipt
from circulation.models import (
    ConsultationItem,
    InboundMessage,
    ItemVote,
    Recipient,
    Reply,
    Vote,
)
from circulation.services.replies import ReplyInvalid, ReplyRefused, submit_reply
from portal import audit
from portal.models import User

MAX_TEXT = 4000


@dataclass(frozen=True)
class ItemChoice:
    """One item's vote as the member gave it; `vote` "" leaves the item unvoted."""

    item_id: int
    vote: str
    opinion: str = ""
    proposed_rider: str = ""


class AlreadyHandled(Exception):
    """The held mail was recorded or discarded by someone else meanwhile."""


def submit_votes(
    *,
    recipient: Recipient,
    choices: list[ItemChoice],
    channel: str = Reply.Channel.WEB,
    submitted_by: User | None = None,
    base_version: int | None = None,
    now: dt.datetime | None = None,
) -> Reply:
    """Record a new version of the member's vote with every item's choice and queue the
    receipt. Raises ReplyInvalid (nothing chosen, too long), ReplyConflict, ReplyRefused;
    a refusal is re-raised after the transaction so that its audit entry is kept."""
    now = now or timezone.now()
    items = _items_of(recipient.circulation_id)
    choices = _checked(choices, items)
    refused: ReplyRefused | None = None
    with transaction.atomic():
        try:
            reply = submit_reply(
                recipient=recipient,
                kind=Reply.Kind.VOTE,
                channel=channel,
                submitted_by=submitted_by,
                base_version=base_version,
                now=now,
                send_receipt=False,
            )
        except ReplyRefused as exc:
            refused = exc
        else:
            ItemVote.objects.bulk_create(
                ItemVote(
                    reply=reply,
                    item=items[c.item_id],
                    vote=c.vote,
                    opinion=c.opinion,
                    proposed_rider=c.proposed_rider,
                )
                for c in choices
            )
            audit.record(
                "consultation.vote.submitted",
                actor=submitted_by,
                obj=reply.recipient.circulation,
                actor_label="" if submitted_by else reply.recipient.user.email,
                data={
                    "version": reply.version,
                    "channel": channel,
                    "votes": {items[c.item_id].order: c.vote for c in choices},
                    "for": reply.recipient.user.email,
                },
            )
            queue_vote_receipt(reply)
    if refused is not None:
        raise refused
    return reply


def current_choices(recipient: Recipient) -> dict[int, ItemVote]:
    """The member's current vote per item id (empty before they vote)."""
    if recipient.current_reply_id is None:
        return {}
    return {v.item_id: v for v in ItemVote.objects.filter(reply_id=recipient.current_reply_id)}


def vote_one_item(
    recipient: Recipient,
    *,
    item: ConsultationItem,
    vote: str,
    base_version: int,
    by: User | None,
    now: dt.datetime | None = None,
) -> Reply:
    """A one-click link's vote on one item, confirmed on its page: the member's other
    items keep their current vote (with their opinions and riders); this item's opinion
    and proposed rider are kept too."""
    current = current_choices(recipient)
    choices = [
        ItemChoice(v.item_id, v.vote, v.opinion, v.proposed_rider)
        for v in current.values()
        if v.item_id != item.pk
    ]
    mine = current.get(item.pk)
    opinion, rider = (mine.opinion, mine.proposed_rider) if mine else ("", "")
    choices.append(ItemChoice(item.pk, vote, opinion, rider))
    return submit_votes(
        recipient=recipient,
        choices=choices,
        channel=Reply.Channel.LINK,
        submitted_by=by,
        base_version=base_version,
        now=now,
    )


def record_vote_for(
    recipient: Recipient,
    *,
    choices: list[ItemChoice],
    by: User,
    message_id: int | None = None,
    now: dt.datetime | None = None,
) -> Reply:
    """The secretariat records a member's vote as the member gave it in a mail (held for
    them: a vote is never read from a mail by itself). The held mail, if named, is marked
    as handled in the same transaction; the member gets the receipt as for every vote."""
    now = now or timezone.now()
    refused: ReplyRefused | None = None
    with transaction.atomic():
        message = None
        if message_id is not None:
            message = InboundMessage.objects.select_for_update().get(pk=message_id)
            if message.state not in InboundMessage.NEEDS_ATTENTION:
                raise AlreadyHandled
        try:
            reply = submit_votes(
                recipient=recipient,
                choices=choices,
                channel=Reply.Channel.MAIL,
                submitted_by=by,
                base_version=None,
                now=now,
            )
        except ReplyRefused as exc:
            refused = exc
        else:
            if message is not None:
                _mark_assigned(message, recipient, by, now)
    if refused is not None:
        raise refused
    return reply


def _mark_assigned(
    message: InboundMessage, recipient: Recipient, by: User, now: dt.datetime
) -> None:
    previous = {"state": message.state, "reason": message.reason}
    message.state = InboundMessage.State.ASSIGNED
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
        data={**previous, "recipient": recipient.pk, "kind": Reply.Kind.VOTE},
    )


def _items_of(circulation_id: int) -> dict[int, ConsultationItem]:
    items = ConsultationItem.objects.filter(consultation_id=circulation_id)
    return {item.pk: item for item in items}


def _checked(choices: list[ItemChoice], items: dict[int, ConsultationItem]) -> list[ItemChoice]:
    kept = []
    for choice in choices:
        if choice.item_id not in items:
            raise ReplyInvalid(_("議題が見つかりません。ページを読み込み直してください。"))
        opinion, rider = choice.opinion.strip(), choice.proposed_rider.strip()
        if len(opinion) > MAX_TEXT or len(rider) > MAX_TEXT:
            raise ReplyInvalid(
                _("意見と付言の提案は%(limit)s文字以内で入力してください。") % {"limit": MAX_TEXT}
            )
        if not choice.vote:
            if opinion or rider:
                raise ReplyInvalid(
                    _("議題%(order)sの賛否(承認・不承認・保留)を選んでください。")
                    % {"order": items[choice.item_id].order}
                )
            continue
        if choice.vote not in Vote.values:
            raise ReplyInvalid(_("賛否は承認・不承認・保留から選んでください。"))
        kept.append(ItemChoice(choice.item_id, choice.vote, opinion, rider))
    if not kept:
        raise ReplyInvalid(_("少なくとも1つの議題について賛否を選んでください。"))
    return kept
