"""A council's own settings (審議会の設定), changed by its secretariat."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from portal import audit
from portal.models import Committee, User

SETTINGS = (
    "reminder_offsets_hours",
    "chair_reminder_days",
    "show_member_names",
    "contact_department",
    "contact_phone",
    "contact_email",
    "material_link_days",
    "attach_materials",
    "attachment_limit_mb",
    "reminder_now_interval_hours",
    "quorum",
)


def update_committee_settings(
    committee: Committee,
    *,
    by: User,
    reminder_offsets_hours: list[int],
    chair_reminder_days: int,
    show_member_names: bool,
    **others: Any,
) -> Committee:
    """Save the settings; the audit entry keeps what each changed setting was and became.
    New reminder moments apply to the reminders not yet sent: beat reads them every tick.
    `others`: any more of SETTINGS (the contact, the material links and attachments, how
    often the secretariat may remind by hand); those not given stay as they are."""
    unknown = set(others) - set(SETTINGS)
    if unknown:
        raise TypeError(f"not a committee setting: {sorted(unknown)}")
    wanted = {
        "reminder_offsets_hours": sorted(set(reminder_offsets_hours), reverse=True),
        "chair_reminder_days": chair_reminder_days,
        "show_member_names": show_member_names,
        **others,
    }
    with transaction.atomic():
        committee = Committee.objects.select_for_update().get(pk=committee.pk)
        changed = {
            name: {"from": getattr(committee, name), "to": value}
            for name, value in wanted.items()
            if getattr(committee, name) != value
        }
        if not changed:
            return committee
        for name in changed:
            setattr(committee, name, wanted[name])
        committee.save(update_fields=list(changed))
        audit.record("committee.settings.changed", actor=by, obj=committee, data=changed)
    return committee
