"""The audit log is append-only in fact on PostgreSQL: nothing in the application — the ORM,
an instance, or raw SQL — can change or remove an entry; only the retention job removes
expired entries, and it logs itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal import audit
from portal.auditlog.retention import expire_audit_entries
from portal.models import AuditEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def entry(council) -> AuditEntry:
    return audit.record("circulation.sent", actor=council.secretariat, obj=council.committee)


def refused(statement):
    """Run the statement in a savepoint and assert the database refused it."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement()


def test_the_trigger_is_installed_by_the_migrations():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'portal_auditentry'::regclass "
            "AND NOT tgisinternal"
        )
        assert [row[0] for row in cursor.fetchall()] == ["portal_auditentry_append_only"]


def test_a_queryset_update_is_refused(entry):
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="account.login"))
    entry.refresh_from_db()
    assert entry.action == "circulation.sent"


def test_saving_a_changed_entry_is_refused(entry):
    entry.result = AuditEntry.Result.REFUSED
    refused(entry.save)
    entry.refresh_from_db()
    assert entry.result == AuditEntry.Result.OK


def test_a_queryset_delete_is_refused(entry):
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
    refused(lambda: AuditEntry.objects.all().delete())
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_an_instance_is_refused(entry):
    refused(entry.delete)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_raw_sql_update_and_delete_are_refused(entry):
    def raw(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])

    refused(lambda: raw("UPDATE portal_auditentry SET actor_label = 'x' WHERE id = %s"))
    refused(lambda: raw("DELETE FROM portal_auditentry WHERE id = %s"))
    assert AuditEntry.objects.filter(pk=entry.pk, actor_label="sato@city.example.jp").exists()


def test_the_retention_setting_never_allows_an_update(entry):
    def update_with_the_setting_on():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL kairan.audit_retention = 'on'")
            cursor.execute("UPDATE portal_auditentry SET action = 'x' WHERE id = %s", [entry.pk])

    refused(update_with_the_setting_on)


def test_deleting_a_person_who_acted_is_refused_rather_than_blanking_the_log(council):
    # actor is SET_NULL: deleting the person would rewrite their entries. People are
    # deactivated, never deleted.
    audit.record("account.login", actor=council.outsider, obj=council.outsider)
    refused(council.outsider.delete)
    assert AuditEntry.objects.filter(actor=council.outsider).exists()


def test_the_retention_job_deletes_only_expired_entries_and_logs_itself(entry, settings):
    settings.KAIRAN_AUDIT_RETENTION_DAYS = 1825
    now = timezone.now()
    old = audit.record("account.login", actor_label="old@example.jp")
    # The only way to age an entry is to write it with an old time in the first place.
    ancient = AuditEntry.objects.create(
        action="account.login", actor_label="ancient@example.jp", at=now - dt.timedelta(days=1826)
    )
    assert old.pk and ancient.pk

    assert expire_audit_entries(now=now) == 1

    assert not AuditEntry.objects.filter(pk=ancient.pk).exists()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    run = AuditEntry.objects.get(action="audit.retention.expired")
    assert run.data["count"] == 1
    assert run.data["cutoff"] == (now - dt.timedelta(days=1825)).isoformat()
    # The job switched the permission off again: the rest of the transaction is guarded.
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
