"""Celery task for the daily retention run (scheduled in portal/celery.py)."""

from __future__ import annotations

from celery import shared_task

from portal.auditlog.retention import expire_audit_entries


@shared_task(name="portal.auditlog.tasks.expire_audit_log")
def expire_audit_log() -> int:
    return expire_audit_entries()
