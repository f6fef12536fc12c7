"""The tracking page's data (secretariat): every recipient's opening and reply, in a fixed
number of queries whatever the number of recipients."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .models import Circulation, Material, MaterialOpening, OutboxMessage, Recipient, Reply


@dataclass
class TrackingRow:
    recipient: Recipient
    reply: Reply | None
    earlier: list[Reply]
    materials_opened: int


@dataclass
class Tracking:
    rows: list[TrackingRow] = field(default_factory=list)
    recipients: int = 0
    replied: int = 0
    not_replied: int = 0
    opened: int = 0
    no_opinion: int = 0
    with_opinion: int = 0
    meeting_requested: int = 0
    materials: list[Material] = field(default_factory=list)
    current_materials: int = 0
    failed_mail: list[OutboxMessage] = field(default_factory=list)


def tracking(circulation: Circulation) -> Tracking:
    result = Tracking()
    result.materials = list(
        circulation.materials.select_related("replaces", "uploaded_by").order_by("order", "id")
    )
    result.current_materials = sum(1 for m in result.materials if m.is_current)
    opened_by_user = _materials_opened(circulation)
    versions = _replies_by_recipient(circulation)
    for recipient in circulation.recipients.select_related("user"):
        replies = versions.get(recipient.pk, [])
        # The current one is picked out of the versions rather than read a second time.
        reply = next((r for r in replies if r.pk == recipient.current_reply_id), None)
        earlier = [r for r in replies if reply is None or r.pk != reply.pk]
        result.rows.append(
            TrackingRow(
                recipient=recipient,
                reply=reply,
                earlier=earlier,
                materials_opened=len(opened_by_user.get(recipient.user_id, ())),
            )
        )
        _count(result, recipient, reply)
    result.failed_mail = list(
        OutboxMessage.objects.filter(
            circulation=circulation, state=OutboxMessage.State.FAILED
        ).select_related("to_user")
    )
    return result


def _count(result: Tracking, recipient: Recipient, reply: Reply | None) -> None:
    result.recipients += 1
    if recipient.first_opened_at is not None:
        result.opened += 1
    if reply is None:
        result.not_replied += 1
        return
    result.replied += 1
    if reply.kind == Reply.Kind.NO_OPINION:
        result.no_opinion += 1
    else:
        result.with_opinion += 1
    if reply.meeting_needed:
        result.meeting_requested += 1


def _replies_by_recipient(circulation: Circulation) -> dict[int, list[Reply]]:
    """Every version of every reply, newest first per recipient, from one query (joined on
    the circulation rather than listing a thousand recipient ids)."""
    found: dict[int, list[Reply]] = defaultdict(list)
    replies = Reply.objects.filter(recipient__circulation=circulation).order_by(
        "recipient_id", "-version"
    )
    for reply in replies:
        found[reply.recipient_id].append(reply)
    return found


def _materials_opened(circulation: Circulation) -> dict[int, set[int]]:
    """Which materials each person opened (distinct), from one query."""
    pairs = (
        MaterialOpening.objects.filter(material__circulation=circulation)
        .values_list("user_id", "material_id")
        .distinct()
    )
    opened: dict[int, set[int]] = defaultdict(set)
    for user_id, material_id in pairs:
        opened[user_id].add(material_id)
    return opened
