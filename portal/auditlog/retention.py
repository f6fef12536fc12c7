"""Retention: the only way an audit entry ever leaves the log.

On PostgreSQL the DELETE runs inside `kairan_expire_audit_entries(cutoff)`, a SECURITY
DEFINER function owned by the owner of the tables (portal/auditlog/db_roles.py): the
application's role has no DELETE right on the log at all, and the function refuses a cutoff
inside the kept period. The trigger of migration 0003 refuses every UPDATE, and every DELETE
outside that function, in the owner's sessions too. On SQLite (the demo) the ORM deletes.
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


def _delete_before(cutoff: dt.datetime) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT kairan_expire_audit_entries(%s)", [cutoff])
            return cursor.fetchone()[0]
    count, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return count


def expire_audit_entries(now: dt.datetime | None = None) -> int:
    """Delete the entries older than the retention period; log the run (also when nothing
    expired, so the review can see that the job runs). Returns the number deleted."""
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        count = _delete_before(cutoff)
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
