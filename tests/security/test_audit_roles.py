"""The audit log with two database roles (PostgreSQL): the portal logs in as an application
role that may read and add entries but never change or remove one, however it sets its
session; retention still works, through the owner's SECURITY DEFINER function, and only for
entries past the retention period (docs/security.md, "Append-only in fact")."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal import audit
from portal.auditlog.db_roles import install_retention_function
from portal.auditlog.retention import expire_audit_entries
from portal.models import AuditEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RETENTION_DAYS = 1825


@pytest.fixture
def app_role(settings):
    """A login role made for this test, granted what `manage.py grant_app_role` grants."""
    settings.KAIRAN_AUDIT_RETENTION_DAYS = RETENTION_DAYS
    role = f"kairan_app_{uuid.uuid4().hex[:8]}"
    os.environ["KAIRAN_APP_DB_PASSWORD"] = "app-password"
    try:
        call_command("grant_app_role", role, "--create")
    finally:
        del os.environ["KAIRAN_APP_DB_PASSWORD"]
    yield role
    with connection.cursor() as cursor:
        install_retention_function(cursor)  # the migration's floor, for the tests after this
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def entries(council):
    """A fresh entry and one past the retention period (written with an old time: the only
    way to age an entry)."""
    fresh = audit.record("circulation.sent", actor=council.secretariat, obj=council.committee)
    old = AuditEntry.objects.create(
        action="account.login",
        actor_label="old@example.jp",
        at=timezone.now() - dt.timedelta(days=RETENTION_DAYS + 1),
    )
    return fresh, old


def connect_as(role: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"],
        user=role, password="app-password", autocommit=True,
    )  # fmt: skip


ATTEMPTS = [
    "DELETE FROM portal_auditentry WHERE id = {id}",
    "UPDATE portal_auditentry SET action = 'x' WHERE id = {id}",
    "TRUNCATE portal_auditentry",
    "ALTER TABLE portal_auditentry DISABLE TRIGGER ALL",
    "DROP TRIGGER portal_auditentry_append_only ON portal_auditentry",
    "SELECT kairan_expire_audit_entries(now())",
    "SELECT kairan_expire_audit_entries(now() - interval '1 day')",
]
SESSION_SETTINGS = [
    [],
    ["SET kairan.audit_retention = 'on'"],
    ["SET LOCAL kairan.audit_retention = 'on'"],
    ["SELECT set_config('kairan.audit_retention', 'on', false)"],
    ["SET session_replication_role = replica"],
]


@pytest.mark.parametrize("setup", SESSION_SETTINGS)
def test_a_session_of_the_application_role_cannot_change_or_remove_an_entry(
    app_role, entries, setup
):
    fresh, old = entries
    with connect_as(app_role) as session:
        for attempt in ATTEMPTS:
            for target in (fresh, old):
                with pytest.raises(psycopg.errors.InsufficientPrivilege), session.transaction():
                    for statement in setup:
                        try:
                            with session.transaction():  # a savepoint
                                session.execute(statement)
                        except psycopg.errors.InsufficientPrivilege:
                            pass  # session_replication_role is the superuser's alone
                    session.execute(attempt.format(id=target.pk))
        # What it may do: read the log and add to it.
        assert session.execute("SELECT count(*) FROM portal_auditentry").fetchone()[0] == 2
        session.execute(
            "INSERT INTO portal_auditentry (at, action, actor_label, object_type, object_id,"
            " object_repr, ip, user_agent, result, data) VALUES"
            " (now(), 'account.login', 'x@example.jp', '', '', '', NULL, '', 'ok', '{}')"
        )
    assert AuditEntry.objects.filter(pk__in=[fresh.pk, old.pk]).count() == 2
    assert AuditEntry.objects.get(pk=fresh.pk).action == "circulation.sent"


def test_the_application_role_cannot_become_the_owner(app_role):
    with connect_as(app_role) as session, pytest.raises(psycopg.errors.InsufficientPrivilege):
        session.execute(f'SET ROLE "{connection.settings_dict["USER"]}"')


def test_retention_still_works_as_the_application_role(app_role, entries):
    """The portal's own retention job, in a session switched to the application role:
    the expired entry goes, the fresh one stays, and the run is logged."""
    fresh, old = entries
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
    try:
        # The ORM, as the application role, is refused too.
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AuditEntry.objects.filter(pk=old.pk).delete()
        assert expire_audit_entries() == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=fresh.pk).exists()
    run = AuditEntry.objects.get(action="audit.retention.expired")
    assert run.data["count"] == 1 and run.data["retention_days"] == RETENTION_DAYS


def test_the_retention_function_keeps_what_is_inside_the_retention_period(app_role, entries):
    """Even called by hand with a later cutoff, the function removes nothing younger than
    the retention period the owner granted."""
    fresh, old = entries
    with connect_as(app_role) as session:
        too_late = timezone.now() - dt.timedelta(days=RETENTION_DAYS - 1)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="are kept"):
            session.execute("SELECT kairan_expire_audit_entries(%s)", [too_late])
    assert AuditEntry.objects.filter(pk__in=[fresh.pk, old.pk]).count() == 2


def test_the_grant_command_refuses_to_hand_the_owner_role_to_the_application():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="must not be the owner"):
        call_command("grant_app_role", connection.settings_dict["USER"])
