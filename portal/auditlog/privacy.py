"""The privacy notice (操作記録について): what is logged, why, for how long, who sees it.

How long: a council's own entries are kept for the council's period (its retention policy,
portal/retention) and leave only by a disposal its secretariat approves; the entries of no
council (logins, accounts) expire after KAIRAN_AUDIT_RETENTION_DAYS (auditlog/retention.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.models import User
from portal.permissions import memberships_of
from portal.retention.models import RetentionPolicy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

DEFAULT_AUDIT_YEARS: int = RetentionPolicy._meta.get_field("audit_years").get_default()


@dataclass(frozen=True)
class CouncilPeriod:
    name: str
    audit_years: int


def council_audit_periods(user: User | AnonymousUser) -> list[CouncilPeriod]:
    """For the notice: the audit log's period of each council the person sits on today
    (the default for a council that set none). One query beyond the person's seats."""
    if not user.is_authenticated:
        return []
    committees = {m.committee_id: m.committee for m in memberships_of(user)}
    if not committees:
        return []
    years = dict(
        RetentionPolicy.objects.filter(committee_id__in=committees).values_list(
            "committee_id", "audit_years"
        )
    )
    return [
        CouncilPeriod(committee.name, years.get(pk, DEFAULT_AUDIT_YEARS))
        for pk, committee in sorted(committees.items(), key=lambda pair: pair[1].name)
    ]


def acknowledge_privacy_notice(user: User, now: dt.datetime | None = None) -> bool:
    """Mark that the person has opened the notice (once; the banner then disappears).
    Returns whether this was the first time."""
    now = now or timezone.now()
    with transaction.atomic():
        # Compare-and-swap: two tabs opened at once record one acknowledgement.
        first = User.objects.filter(pk=user.pk, privacy_notice_seen_at__isnull=True).update(
            privacy_notice_seen_at=now
        )
        if first:
            audit.record("account.privacy_notice.acknowledged", actor=user, obj=user)
    if first:
        user.privacy_notice_seen_at = now
    return bool(first)
