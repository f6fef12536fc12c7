"""The privacy notice (操作記録について): what is logged, why, for how long, who sees it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.models import User


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
