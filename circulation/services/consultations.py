"""Registering a consultation (諮問) and what changes it before the council decides: the
draft (through the circulation's draft services: a consultation is a circulation of another
kind), materials added by the implementing body, reopening a vote that missed its quorum,
and the council's rules (審議会の設定).

Sending, the vote, the close and the decision to convene are the circulation's own services
(sending.py, votes.py on replies.py, closing.py, decisions.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.circulation import queue_deadline_extended
from circulation.mail.consultation import queue_material_added
from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    ConsultationRules,
    DeadlineExtension,
    Material,
)
from circulation.services.content import content_changed
from circulation.services.drafts import (
    DraftContent,
    DraftRefused,
    MaterialEdit,
    create_draft,
    update_draft,
)
from circulation.services.materials import NewMaterial, store_material
from portal import audit
from portal.models import Committee, Membership, Role, User
from portal.permissions import sitting

MAX_ITEMS = 20


class ConsultationRefused(Exception):
    """The change is not possible as asked; the message says why (for the page). `field`
    names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class ConsultationContent:
    """What only a consultation has (the circulation's part is a DraftContent)."""

    number: int
    department: str
    staff_ids: list[int]
    received_on: dt.date
    reason: str
    items: list[str] = field(default_factory=list)


def register_consultation(
    committee: Committee,
    *,
    by: User,
    draft: DraftContent,
    content: ConsultationContent,
    new_materials: list[NewMaterial] | None = None,
    now: dt.datetime | None = None,
) -> Circulation:
    """The secretariat registers a consultation: a circulation draft of kind 諮問 with its
    number, implementing body, date, reason and items."""
    now = now or timezone.now()
    _check_content(committee, content, now)
    try:
        with transaction.atomic():
            circulation = create_draft(
                committee, by=by, content=draft, new_materials=new_materials, now=now
            )
            circulation.kind = Circulation.Kind.CONSULTATION
            circulation.save(update_fields=["kind"])
            consultation = Consultation.objects.create(
                circulation=circulation,
                committee=committee,
                number=content.number,
                department=content.department.strip(),
                received_on=content.received_on,
                reason=content.reason.strip(),
            )
            consultation.staff.set(content.staff_ids)
            _set_items(consultation, content.items)
            audit.record(
                "consultation.registered",
                actor=by,
                obj=circulation,
                data=_described(content),
            )
    except IntegrityError:  # the number was taken meanwhile (the unique constraint)
        raise _number_taken(content.number) from None
    return circulation


def update_consultation(
    circulation_id: int,
    *,
    by: User,
    revision: int,
    draft: DraftContent,
    content: ConsultationContent,
    material_edits: list[MaterialEdit] | None = None,
    new_materials: list[NewMaterial] | None = None,
    now: dt.datetime | None = None,
) -> Circulation:
    """Save an edit of the draft made on `revision` (DraftConflict if it moved on)."""
    now = now or timezone.now()
    circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
    _check_content(circulation.committee, content, now, exclude=circulation.pk)
    try:
        with transaction.atomic():
            circulation = update_draft(
                circulation_id,
                by=by,
                revision=revision,
                content=draft,
                material_edits=material_edits,
                new_materials=new_materials,
                now=now,
            )
            consultation = Consultation.objects.get(pk=circulation.pk)
            consultation.number = content.number
            consultation.department = content.department.strip()
            consultation.received_on = content.received_on
            consultation.reason = content.reason.strip()
            consultation.save()
            consultation.staff.set(content.staff_ids)
            consultation.items.all().delete()  # a draft's items: nobody has voted yet
            _set_items(consultation, content.items)
            audit.record("consultation.edited", actor=by, obj=circulation, data=_described(content))
    except IntegrityError:
        raise _number_taken(content.number) from None
    return circulation


def next_number(committee: Committee) -> int:
    """The number a new consultation of the council is likely to take (the form's default)."""
    top = Consultation.objects.filter(committee=committee).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def body_staff_choices(committee: Committee, day: dt.date) -> list[Membership]:
    """The people who hold the implementing-body role on the council on the day."""
    return list(
        Membership.objects.on(day)
        .filter(committee=committee, role=Role.IMPLEMENTING_BODY, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )


def _check_content(
    committee: Committee, content: ConsultationContent, now: dt.datetime, exclude: int = 0
) -> None:
    if content.number < 1:
        raise ConsultationRefused(_("諮問番号は1以上の数にしてください。"), "number")
    taken = Consultation.objects.filter(committee=committee, number=content.number)
    if taken.exclude(pk=exclude).exists():
        raise _number_taken(content.number)
    if not content.department.strip():
        raise ConsultationRefused(_("実施機関を入力してください。"), "department")
    if not content.reason.strip():
        raise ConsultationRefused(_("諮問理由を入力してください。"), "reason")
    items = [text.strip() for text in content.items if text.strip()]
    if not items:
        raise ConsultationRefused(_("議題を1つ以上入力してください。"), "items")
    if len(items) > MAX_ITEMS:
        raise ConsultationRefused(_("議題は%(limit)s件までです。") % {"limit": MAX_ITEMS}, "items")
    if any(len(text) > 500 for text in items):
        raise ConsultationRefused(_("議題は1件500文字以内で入力してください。"), "items")
    allowed = {m.user_id for m in body_staff_choices(committee, timezone.localdate(now))}
    if set(content.staff_ids) - allowed:
        raise ConsultationRefused(
            _("実施機関の担当者には、この審議会で実施機関の役割を持つ人を選んでください。"),
            "staff",
        )


def _number_taken(number: int) -> ConsultationRefused:
    return ConsultationRefused(
        _("諮問第%(number)s号はこの審議会にすでにあります。") % {"number": number}, "number"
    )


def _set_items(consultation: Consultation, texts: list[str]) -> None:
    items = [text.strip() for text in texts if text.strip()]
    ConsultationItem.objects.bulk_create(
        ConsultationItem(consultation=consultation, order=n, text=text)
        for n, text in enumerate(items, start=1)
    )


def _described(content: ConsultationContent) -> dict[str, object]:
    return {
        "number": content.number,
        "department": content.department,
        "staff": sorted(content.staff_ids),
        "received_on": content.received_on.isoformat(),
        "items": [text.strip() for text in content.items if text.strip()],
    }


# --- Materials added by the implementing body -----------------------------------------------


def add_material(
    circulation_id: int, *, by: User, new: NewMaterial, now: dt.datetime | None = None
) -> Material:
    """The implementing body's staff (or the secretariat) add a material to a sent
    consultation until its report is issued; the members who still sit are told."""
    now = now or timezone.now()
    with transaction.atomic():
        circulation = (
            Circulation.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(pk=circulation_id)
        )
        consultation = Consultation.objects.get(pk=circulation.pk)
        S = Circulation.State
        if circulation.state not in (S.OPEN, S.CLOSED, S.DECIDED) or consultation.is_issued:
            raise ConsultationRefused(_("資料を追加できるのは、送付してから答申するまでの間です。"))
        current = circulation.materials.filter(is_current=True)
        if current.count() >= settings.KAIRAN_MAX_MATERIALS:
            raise ConsultationRefused(
                _("資料は1件の書面照会につき%(limit)s件までです。")
                % {"limit": settings.KAIRAN_MAX_MATERIALS},
                "file",
            )
        top = current.aggregate(top=Max("order"))["top"] or 0
        new.order = top + 1
        material = store_material(circulation, new, by=by, now=now)
        content_changed(circulation)
        audit.record(
            "consultation.material.added",
            actor=by,
            obj=material,
            committee=circulation.committee,
            data={"circulation": circulation.pk, "sha256": material.sha256},
        )
        recipients = circulation.recipients.filter(
            sitting("user_id", "circulation__committee_id", timezone.localdate(now)),
            user__is_active=True,
        ).select_related("user", "circulation__committee")
        for recipient in recipients:
            queue_material_added(recipient, material)
    return material


# --- A vote that missed its quorum: open it again with a new deadline -------------------------


def reopen_voting(
    circulation_id: int,
    *,
    by: User,
    new_deadline: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
) -> DeadlineExtension:
    """期限を延長 after the close, before any result: the consultation opens again with the
    new deadline (a new deadline version: reminders and the closing summary start afresh);
    members who still sit are told, with the votes they gave so far kept."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if timezone.is_naive(new_deadline):
        raise ValueError("new_deadline must be aware")
    if not reason:
        raise ConsultationRefused(_("延長の理由を入力してください。"), "reason")
    if new_deadline <= now:
        raise ConsultationRefused(
            _("新しい回答期限は現在より後の日時にしてください。"), "deadline_date"
        )
    with transaction.atomic():
        circulation = Circulation.objects.select_for_update().get(pk=circulation_id)
        if not circulation.is_consultation or circulation.state != Circulation.State.CLOSED:
            raise ConsultationRefused(
                _("締め切られ、結果がまだ確定していない諮問だけ期限を延長できます。")
            )
        extension = DeadlineExtension.objects.create(
            circulation=circulation,
            old_deadline=circulation.deadline,
            new_deadline=new_deadline,
            deadline_version=circulation.deadline_version + 1,
            reason=reason,
            extended_by=by,
            extended_at=now,
        )
        circulation.state = Circulation.State.OPEN
        circulation.deadline = new_deadline
        circulation.deadline_version = extension.deadline_version
        circulation.closed_at = None
        circulation.chair_reminded_at = None
        circulation.close_handed_at = None  # the new deadline's close is handed over anew
        circulation.updated_at = now
        circulation.save(
            update_fields=[
                "state",
                "deadline",
                "deadline_version",
                "closed_at",
                "chair_reminded_at",
                "close_handed_at",
                "updated_at",
            ]
        )
        audit.record(
            "consultation.voting.reopened",
            actor=by,
            obj=circulation,
            data={
                "old_deadline": extension.old_deadline.isoformat(),
                "new_deadline": new_deadline.isoformat(),
                "deadline_version": extension.deadline_version,
                "reason": reason,
            },
        )
        recipients = circulation.recipients.filter(
            sitting("user_id", "circulation__committee_id", timezone.localdate(now))
        ).select_related("user", "circulation__committee")
        for recipient in recipients:
            queue_deadline_extended(recipient, extension)
    return extension


# --- The council's rules ---------------------------------------------------------------------

RULE_FIELDS = (
    "quorum",
    "abstain",
    "majority",
    "chair_casting_vote",
    "report_addressee",
    "rider_reminder_months",
)


def update_consultation_rules(
    committee: Committee, *, by: User, **values: object
) -> ConsultationRules:
    """Save the council's rules for consultations; the audit entry keeps each change.
    A written vote already confirmed keeps the rules it was counted by."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rules: {sorted(unknown)}")
    with transaction.atomic():
        Committee.objects.select_for_update().get(pk=committee.pk)
        rules, _created = ConsultationRules.objects.get_or_create(committee=committee)
        changed = {
            name: {"from": getattr(rules, name), "to": value}
            for name, value in values.items()
            if getattr(rules, name) != value
        }
        if changed:
            for name in changed:
                setattr(rules, name, values[name])
            rules.save()
            audit.record(
                "committee.consultation_rules.changed", actor=by, obj=committee, data=changed
            )
    return rules


__all__ = [
    "ConsultationContent",
    "ConsultationRefused",
    "DraftRefused",
    "add_material",
    "register_consultation",
    "reopen_voting",
    "update_consultation",
    "update_consultation_rules",
]
