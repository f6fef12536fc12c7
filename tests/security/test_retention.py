"""Retention is a setting; expiry is a daily job and the only deletion, and it logs itself."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine

from portal import audit
from portal.auditlog.retention import expire_audit_entries
from portal.auditlog.tasks import expire_audit_log
from portal.models import AuditEntry
from tests.security.settings_probe import load_settings, settings_values

JST = dt.timezone(dt.timedelta(hours=9))


def test_retention_defaults_to_five_years_and_is_read_from_the_environment(tmp_path):
    names = ["KAIRAN_AUDIT_RETENTION_DAYS", "KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS"]
    assert settings_values(tmp_path, {}, names) == {
        "KAIRAN_AUDIT_RETENTION_DAYS": 1825,
        "KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS": 30,
    }
    custom = {"KAIRAN_AUDIT_RETENTION_DAYS": "3650", "KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS": "90"}
    assert settings_values(tmp_path, custom, names) == {
        "KAIRAN_AUDIT_RETENTION_DAYS": 3650,
        "KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS": 90,
    }


@pytest.mark.parametrize("value", ["five years", "-1", "0", "7"])
def test_a_bad_retention_value_stops_the_portal_from_starting(tmp_path, value):
    done = load_settings(tmp_path, {"KAIRAN_AUDIT_RETENTION_DAYS": value}, ["DEBUG"])
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "KAIRAN_AUDIT_RETENTION_DAYS" in done.stderr


@pytest.mark.django_db
def test_expiry_deletes_only_entries_older_than_the_retention(council, settings):
    settings.KAIRAN_AUDIT_RETENTION_DAYS = 365
    with time_machine.travel(dt.datetime(2025, 4, 1, 9, 0, tzinfo=JST), tick=False):
        audit.record("account.login", actor=council.members[0], obj=council.members[0])
    with time_machine.travel(dt.datetime(2025, 4, 3, 9, 0, tzinfo=JST), tick=False):
        kept = audit.record("account.login", actor=council.members[1], obj=council.members[1])

    with time_machine.travel(dt.datetime(2026, 4, 2, 9, 0, tzinfo=JST), tick=False):
        assert expire_audit_entries() == 1

    assert list(AuditEntry.objects.filter(action="account.login")) == [kept]
    run = AuditEntry.objects.get(action="audit.retention.expired")
    assert run.actor is None and run.actor_label == "system"
    assert run.data == {
        "count": 1,
        "cutoff": "2025-04-02T00:00:00+00:00",
        "retention_days": 365,
    }


@pytest.mark.django_db
def test_a_run_with_nothing_to_expire_is_logged_too(council):
    audit.record("account.login", actor=council.chair, obj=council.chair)
    assert expire_audit_log() == 0  # the Celery task, run in-process
    assert AuditEntry.objects.filter(action="account.login").count() == 1
    assert AuditEntry.objects.get(action="audit.retention.expired").data["count"] == 0


def test_beat_runs_the_retention_job_daily():
    from celery.schedules import crontab

    from portal.celery import app

    app.loader.import_default_modules()
    assert "portal.auditlog.tasks.expire_audit_log" in app.tasks
    app.finalize()
    entry = app.conf.beat_schedule["audit-retention"]
    assert entry["task"] == "portal.auditlog.tasks.expire_audit_log"
    assert isinstance(entry["schedule"], crontab)
    # Once a day: a single hour and minute, every day of the week and month.
    assert len(entry["schedule"].hour) == 1 and len(entry["schedule"].minute) == 1
    assert len(entry["schedule"].day_of_week) == 7


def test_nothing_but_the_retention_job_deletes_audit_entries():
    # A reading of the code, so that a second deletion path cannot slip in unnoticed
    # (on SQLite, where no trigger guards the table, this is the only guard).
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"AuditEntry\.objects[^\n]*\.(delete|update)\(")
    offenders = [
        str(path.relative_to(root))
        for folder in ("portal", "circulation")
        for path in (root / folder).rglob("*.py")
        if "migrations" not in path.parts and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == ["portal/auditlog/retention.py"]
