"""Retention: the only way an audit entry ever leaves the log.

On PostgreSQL a trigger (portal/migrations/0003_security_audit_append_only.py) refuses every
UPDATE and DELETE of portal_auditentry unless the transaction-local setting
`kairan.audit_retention` is 'on'. Only the two functions here set it: the daily expiry of the
entries of no council older than KAIRAN_AUDIT_RETENTION_DAYS, and the deletion of a council's
entries whose disposal its secretariat approved (portal/retention).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .. import audit
from ..models import AuditEntry


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
        # A council's own entries leave only by its retention, with the secretariat's
        # approval (portal/retention); this job expires the entries of no council.
        count, _ = AuditEntry.objects.filter(at__lt=cutoff, committee__isnull=True).delete()
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


def delete_approved(entries: QuerySet[AuditEntry]) -> int:
    """Delete a council's entries whose disposal (廃棄) its secretariat approved
    (portal/retention/services.py), inside the caller's transaction; the caller writes the
    audit entry saying what was removed."""
    with transaction.atomic():
        _allow_retention_delete(True)
        count, _ = entries.delete()
        _allow_retention_delete(False)
    return count
