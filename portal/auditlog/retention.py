"""Retention: the only way an audit entry ever leaves the log.

On PostgreSQL a trigger (portal/migrations/0003_security_audit_append_only.py) refuses every
UPDATE and DELETE of portal_auditentry unless the transaction-local setting
`kairan.audit_retention` is 'on'. Only this function sets it, around one DELETE of the
entries older than KAIRAN_AUDIT_RETENTION_DAYS, and then writes its own entry.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from portal import audit
from portal.models import AuditEntry


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    return now - dt.timedelta(days=settings.KAIRAN_AUDIT_RETENTION_DAYS)


def _allow_retention_delete(on: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # set_config(..., is_local=true) == SET LOCAL: ends with the transaction at latest.
            cursor.execute(
                "SELECT set_config('kairan.audit_retention', %s, true)", ["on" if on else "off"]
            )


def expire_audit_entries(now: dt.datetime | None = None) -> int:
    """Delete the entries older than the retention period; log the run (also when nothing
    expired, so the review can see that the job runs). Returns the number deleted."""
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        _allow_retention_delete(True)
        count, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
        # Switch it off at once: a caller's outer transaction must not inherit it. (If the
        # DELETE fails, the rollback of this atomic block reverts the setting anyway.)
        _allow_retention_delete(False)
        audit.record(
            "audit.retention.expired",
            actor_label="system",
            data={
                "count": count,
                "cutoff": cutoff.isoformat(),
                "retention_days": settings.KAIRAN_AUDIT_RETENTION_DAYS,
            },
        )
    return count
