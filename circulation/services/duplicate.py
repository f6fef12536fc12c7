"""「この書面照会を複製」: a new draft from a past circulation (last year's report, the same
kind of minutes every quarter), so that the secretariat starts from what it wrote before.

What is copied: the title, the explanation, the recipients' rule and, if asked, the current
materials (each file copied under a new name). The deadline keeps the source's time of day
and its span from sending, counted from today. Nothing is sent: the copy is a draft to
check, change and preview like any other.

The recipients' rule: a circulation sent to everyone who sat on the council that day is
copied as "everyone who sits today" (new members included, those whose term ended left
out); one sent to a chosen few is copied as the same people, as far as they still sit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.models import Circulation, Material, Recipient
from circulation.services.drafts import sitting_memberships
from circulation.services.materials import NewMaterial, store_material
from circulation.uploads.checks import CheckedUpload
from portal import audit
from portal.models import User

JAPAN = ZoneInfo("Asia/Tokyo")


class DuplicateRefused(Exception):
    """The circulation cannot be copied (a discarded one)."""


@dataclass
class Duplicated:
    draft: Circulation
    everyone: bool  # the rule was "everyone who sits"
    left_out: list[str] = field(default_factory=list)  # chosen people who no longer sit
    materials: int = 0


def duplicate_circulation(
    source_id: int, *, by: User, with_materials: bool, now: dt.datetime | None = None
) -> Duplicated:
    now = now or timezone.now()
    source = Circulation.objects.select_related("committee").get(pk=source_id)
    if source.state == Circulation.State.DISCARDED:
        raise DuplicateRefused(_("破棄された書面照会は複製できません。"))
    today = timezone.localdate(now)
    seats = {m.user_id: m for m in sitting_memberships(source.committee, today)}
    chosen = list(source.recipients.select_related("user").order_by("user__full_name", "id"))
    everyone = _sent_to_everyone(source, {r.user_id for r in chosen})
    with transaction.atomic():
        draft = Circulation.objects.create(
            committee=source.committee,
            title=source.title,
            explanation=source.explanation,
            deadline=_deadline_like(source, now),
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        result = Duplicated(draft=draft, everyone=everyone)
        wanted = list(seats) if everyone else [r.user_id for r in chosen if r.user_id in seats]
        result.left_out = [] if everyone else [r.user.full_name for r in chosen
                                               if r.user_id not in seats]  # fmt: skip
        Recipient.objects.bulk_create(
            Recipient(circulation=draft, user_id=user_id, membership=seats[user_id],
                      role=seats[user_id].role)
            for user_id in wanted
        )  # fmt: skip
        if with_materials:
            for material in source.materials.filter(is_current=True).order_by("order", "id"):
                copy = _copy_of(material)
                try:
                    store_material(draft, copy, by=by, now=now)
                finally:
                    copy.upload.file.close()
                result.materials += 1
        audit.record(
            "circulation.duplicated",
            actor=by,
            obj=draft,
            data={
                "source": source.pk,
                "recipients_rule": "everyone" if everyone else "chosen",
                "recipients": len(wanted),
                "left_out": result.left_out,
                "materials": result.materials,
            },
        )
    return result


def _sent_to_everyone(source: Circulation, chosen: set[int]) -> bool:
    """Whether the source went to everyone who sat on the council when it was sent (a draft:
    everyone who sits today)."""
    day = timezone.localdate(source.sent_at or timezone.now())
    sitting = {m.user_id for m in sitting_memberships(source.committee, day)}
    return bool(chosen) and chosen == sitting


def _deadline_like(source: Circulation, now: dt.datetime) -> dt.datetime:
    """The source's span from sending to its deadline (in days, at least one), from today,
    at the source's time of day in Japan."""
    start = (source.sent_at or source.created_at).astimezone(JAPAN).date()
    deadline = source.deadline.astimezone(JAPAN)
    days = max((deadline.date() - start).days, 1)
    day = now.astimezone(JAPAN).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, deadline.time(), tzinfo=JAPAN).astimezone(dt.UTC)


def _copy_of(material: Material) -> NewMaterial:
    """The material as a new one: the same checked file (it passed the checks when it was
    uploaded), written again under a new name by store_material."""
    upload = CheckedUpload(
        file=material.file.open("rb"),
        original_name=material.original_name,
        content_type=material.content_type,
        kind="",
        size=material.size,
        sha256=material.sha256,
    )
    return NewMaterial(title=material.title, order=material.order, upload=upload)
