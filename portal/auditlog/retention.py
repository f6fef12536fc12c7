"""Retention: the only way an audit entry ever leaves the log.

On PostgreSQL every DELETE runs inside one of two SECURITY DEFINER functions owned by the
owner of the tables (portal/auditlog/db_roles.py): `kairan_expire_audit_entries(cutoff)`, the
daily expiry of the entries of no council older than KAIRAN_AUDIT_RETENTION_DAYS, and
`kairan_dispose_audit_entries(committee, start, stop)`, the deletion of a council's entries
whose disposal (廃棄) its secretariat approved (portal/retention). The application's role has
no DELETE right on the log at all, and both functions refuse anything inside the kept
period. The trigger of migration 0003 refuses every UPDATE, and every DELETE outside those
functions, in the owner's sessions too. On SQLite (the demo) the ORM deletes.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from portal import audit
from portal.auditlog.db_roles import DISPOSE_FUNCTION
from portal.models import AuditEntry


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    return now - dt.timedelta(days=settings.KAIRAN_AUDIT_RETENTION_DAYS)


def _delete_before(cutoff: dt.datetime) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT kairan_expire_audit_entries(%s)", [cutoff])
            return cursor.fetchone()[0]
    count, _ = AuditEntry.objects.filter(at__lt=cutoff, committee__isnull=True).delete()
    return count


def expire_audit_entries(now: dt.datetime | None = None) -> int:
    """Delete the entries older than the retention period; log the run (also when nothing
    expired, so the review can see that the job runs). Returns the number deleted."""
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        # A council's own entries leave only by its retention, with the secretariat's
        # approval (portal/retention); this job expires the entries of no council.
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


def delete_approved(committee_id: int, start: dt.datetime, stop: dt.datetime) -> int:
    """Delete a council's entries from `start` to before `stop` whose disposal (廃棄) its
    secretariat approved (portal/retention/services.py), inside the caller's transaction;
    the caller writes the audit entry saying what was removed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {DISPOSE_FUNCTION}(%s, %s, %s)", [committee_id, start, stop])
            return cursor.fetchone()[0]
    entries = AuditEntry.objects.filter(committee_id=committee_id, at__gte=start, at__lt=stop)
    count, _ = entries.delete()
    return count
