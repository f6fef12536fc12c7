"""The secretariat's drafts: create, edit (never overwriting a colleague's edit), discard.

A draft's recipients (送付先) and materials (資料) may change freely until it is sent;
sending (services/sending.py) freezes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.models import Circulation, Recipient
from circulation.services.materials import NewMaterial, store_material
from portal import audit
from portal.models import SITTING_ROLES, Committee, Membership, Role, User

# When a person holds two sitting seats, the recipient row names the senior one.
_SEAT_ORDER = {Role.CHAIR: 0, Role.ACTING_CHAIR: 1, Role.MEMBER: 2}


class DraftRefused(Exception):
    """The draft cannot be saved as asked; the message says why."""


class DraftConflict(Exception):
    """Somebody else saved the draft since this editor loaded it."""

    def __init__(self, current: Circulation) -> None:
        super().__init__(_("この下書きは、あなたが開いた後に別の人が変更しました。"))
        self.current = current


@dataclass
class DraftContent:
    title: str
    explanation: str
    deadline: dt.datetime  # aware
    recipient_ids: list[int]


@dataclass
class MaterialEdit:
    """A change to a material already in the draft: new title or order, or removal."""

    material_id: int
    title: str  # blank keeps the stored title
    order: int | None  # None keeps the stored order
    remove: bool = False


@dataclass
class _Changes:
    fields: list[str] = field(default_factory=list)
    recipients_added: list[str] = field(default_factory=list)
    recipients_removed: list[str] = field(default_factory=list)
    materials_added: list[str] = field(default_factory=list)
    materials_removed: list[str] = field(default_factory=list)
    materials_changed: list[str] = field(default_factory=list)


def create_draft(
    committee: Committee,
    *,
    by: User,
    content: DraftContent,
    new_materials: list[NewMaterial] | None = None,
    now: dt.datetime | None = None,
) -> Circulation:
    now = now or timezone.now()
    new_materials = new_materials or []
    _check_content(content, now)
    _check_count(0, len(new_materials))
    with transaction.atomic():
        circulation = Circulation.objects.create(
            committee=committee,
            title=content.title.strip(),
            explanation=content.explanation,
            deadline=content.deadline,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        changes = _Changes()
        _set_recipients(circulation, content.recipient_ids, now, changes)
        for new in new_materials:
            store_material(circulation, new, by=by, now=now)
            changes.materials_added.append(new.upload.original_name)
        audit.record(
            "circulation.created",
            actor=by,
            obj=circulation,
            data={
                "deadline": circulation.deadline.isoformat(),
                "recipients": changes.recipients_added,
                "materials": changes.materials_added,
            },
        )
    return circulation


def update_draft(
    circulation_id: int,
    *,
    by: User,
    revision: int,
    content: DraftContent,
    material_edits: list[MaterialEdit] | None = None,
    new_materials: list[NewMaterial] | None = None,
    now: dt.datetime | None = None,
) -> Circulation:
    """Save an edit made on `revision`. Raises DraftConflict if the draft has moved on."""
    now = now or timezone.now()
    material_edits = material_edits or []
    new_materials = new_materials or []
    _check_content(content, now)
    with transaction.atomic():
        circulation = Circulation.objects.select_for_update().get(pk=circulation_id)
        if circulation.state != Circulation.State.DRAFT:
            raise DraftRefused(_("送付済みまたは破棄済みの書面照会は編集できません。"))
        if circulation.revision != revision:
            raise DraftConflict(circulation)
        changes = _Changes()
        _apply_content(circulation, content, changes)
        _set_recipients(circulation, content.recipient_ids, now, changes)
        kept = _apply_material_edits(circulation, material_edits, changes)
        _check_count(kept, len(new_materials))
        for new in new_materials:
            store_material(circulation, new, by=by, now=now)
            changes.materials_added.append(new.upload.original_name)
        circulation.revision += 1
        circulation.updated_at = now
        circulation.save()
        audit.record(
            "circulation.edited",
            actor=by,
            obj=circulation,
            data={"revision": circulation.revision, **changes.__dict__},
        )
    return circulation


def discard_circulation(
    circulation_id: int, *, by: User, now: dt.datetime | None = None
) -> Circulation:
    """A draft is set aside (破棄); its rows and files are kept."""
    now = now or timezone.now()
    with transaction.atomic():
        circulation = Circulation.objects.select_for_update().get(pk=circulation_id)
        if circulation.state != Circulation.State.DRAFT:
            raise DraftRefused(_("下書きだけを破棄できます。"))
        circulation.state = Circulation.State.DISCARDED
        circulation.updated_at = now
        circulation.revision += 1
        circulation.save(update_fields=["state", "updated_at", "revision"])
        audit.record("circulation.discarded", actor=by, obj=circulation)
    return circulation


def sitting_memberships(committee: Committee, day: dt.date) -> list[Membership]:
    """The committee's sitting members on the day, one row per person (senior seat)."""
    rows = (
        Membership.objects.on(day)
        .filter(committee=committee, role__in=SITTING_ROLES)
        .select_related("user")
    )
    best: dict[int, Membership] = {}
    for membership in rows:
        held = best.get(membership.user_id)
        if held is None or _SEAT_ORDER[membership.role] < _SEAT_ORDER[held.role]:
            best[membership.user_id] = membership
    return sorted(best.values(), key=lambda m: (_SEAT_ORDER[m.role], m.user.full_name))


def _check_content(content: DraftContent, now: dt.datetime) -> None:
    if not content.title.strip():
        raise DraftRefused(_("件名を入力してください。"))
    if timezone.is_naive(content.deadline):
        raise ValueError("deadline must be aware")
    if content.deadline <= now:
        raise DraftRefused(_("回答期限は現在より後の日時にしてください。"))


def _check_count(existing: int, added: int) -> None:
    limit = settings.KAIRAN_MAX_MATERIALS
    if existing + added > limit:
        raise DraftRefused(_("資料は1件の書面照会につき%(limit)s件までです。") % {"limit": limit})


def _apply_content(circulation: Circulation, content: DraftContent, changes: _Changes) -> None:
    for name, value in (
        ("title", content.title.strip()),
        ("explanation", content.explanation),
        ("deadline", content.deadline),
    ):
        if getattr(circulation, name) != value:
            setattr(circulation, name, value)
            changes.fields.append(name)


def _set_recipients(
    circulation: Circulation, user_ids: list[int], now: dt.datetime, changes: _Changes
) -> None:
    today = timezone.localdate(now)
    seats = {m.user_id: m for m in sitting_memberships(circulation.committee, today)}
    wanted = set(user_ids)
    not_sitting = wanted - set(seats)
    if not_sitting:
        names = "、".join(
            User.objects.filter(pk__in=not_sitting).values_list("full_name", flat=True)
        )
        raise DraftRefused(_("送付先に任期外の人が含まれています: %(names)s") % {"names": names})
    existing = {r.user_id: r for r in circulation.recipients.select_related("user")}
    for user_id, recipient in existing.items():
        if user_id not in wanted:
            # Only a draft's recipients are removed: nobody has been sent anything yet.
            changes.recipients_removed.append(recipient.user.full_name)
            recipient.delete()
    for user_id in sorted(wanted - set(existing)):
        seat = seats[user_id]
        Recipient.objects.create(
            circulation=circulation, user_id=user_id, membership=seat, role=seat.role
        )
        changes.recipients_added.append(seat.user.full_name)


def _apply_material_edits(
    circulation: Circulation, edits: list[MaterialEdit], changes: _Changes
) -> int:
    """Apply title/order changes and removals; returns how many current materials remain."""
    current = {m.pk: m for m in circulation.materials.filter(is_current=True)}
    for edit in edits:
        material = current.get(edit.material_id)
        if material is None:
            raise DraftRefused(_("資料が見つかりません。ページを読み込み直してください。"))
        if edit.remove:
            # Removed from the draft, not deleted: the row and file stay for the record.
            material.is_current = False
            material.save(update_fields=["is_current"])
            changes.materials_removed.append(material.original_name)
            del current[material.pk]
            continue
        title = edit.title.strip() or material.title
        order = material.order if edit.order is None else edit.order
        if (material.title, material.order) != (title, order):
            material.title, material.order = title, order
            material.save(update_fields=["title", "order"])
            changes.materials_changed.append(material.original_name)
    return len(current)
