"""The restore drill under the two database roles of docs/operations.md ("Two database roles"):
the owner (not a superuser) creates the new database's tables with `migrate` and grants the
application's role with `grant_app_role`; the application's role — SELECT and INSERT only on
the audit log — runs `manage.py restore` as the portal's web container would, and every
record comes back exactly; the restored site goes on as that role (a new audit entry gets a
new id, a backup of it holds the same rows), and the role still cannot change or remove an
entry. Both roles and the database are made for the test and dropped afterwards."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.ops.test_backup import SNAPSHOT, manage, site_env
from tests.security.world import build_side

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _admin_params() -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }


def _url(role: str, password: str, name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{role}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def two_roles():
    """A new database owned by a new owner role, and a new login role for the portal."""
    suffix = uuid.uuid4().hex[:8]
    owner, app, name = f"kairan_owner_{suffix}", f"kairan_app_{suffix}", f"kairan_roles_{suffix}"
    with psycopg.connect(**_admin_params()) as admin:
        admin.execute(f"CREATE ROLE \"{owner}\" LOGIN PASSWORD 'owner-password'")
        admin.execute(f"CREATE ROLE \"{app}\" LOGIN PASSWORD 'app-password'")
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    yield {
        "owner": _url(owner, "owner-password", name),
        "app": _url(app, "app-password", name),
        "app_role": app,
        "name": name,
    }
    with psycopg.connect(**_admin_params()) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{app}"')
        admin.execute(f'DROP ROLE IF EXISTS "{owner}"')


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_the_application_role_restores_a_backup_into_a_site_the_owner_migrated(
    council, tmp_path, settings, two_roles
):
    build_side(council.committee, secretariat=council.secretariat, chair=council.chair,
               member=council.members[0], invitee_email="arai@example.jp")  # fmt: skip
    source_url = (
        os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    )
    before = manage(site_env(source_url, Path(settings.MEDIA_ROOT)), "shell", "-c", SNAPSHOT)
    target = tmp_path / "backup"
    call_command("backup", str(target))

    # The owner makes the tables and grants the portal's role (compose's `migrate` service).
    media = tmp_path / "restored-media"
    as_owner = site_env(two_roles["owner"], media)
    manage(as_owner, "migrate", "--noinput", "--verbosity", "0")
    manage(as_owner, "grant_app_role", two_roles["app_role"])

    # The portal's role restores (compose: `docker compose run --rm web … restore`).
    as_app = site_env(two_roles["app"], media)
    assert "restored" in manage(as_app, "restore", str(target))

    expected, got = last_json(before), last_json(manage(as_app, "shell", "-c", SNAPSHOT))
    for part in expected:
        assert got[part] == expected[part], part
    assert expected["audit"] and expected["replies"] and expected["files"]

    # The site goes on as the portal's role: a new entry gets a new id past the restored ones.
    check = (
        "from portal import audit; from portal.models import AuditEntry; "
        "e = audit.record('ops.restore.checked', actor_label='drill'); "
        "print(e.pk > max(AuditEntry.objects.exclude(pk=e.pk).values_list('pk', flat=True)))"
    )
    assert manage(as_app, "shell", "-c", check).strip().endswith("True")
    # The restore needed no right the role does not have: it still cannot change the log.
    with psycopg.connect(two_roles["app"], autocommit=True) as session:
        for attempt in ("UPDATE portal_auditentry SET action = 'x'", "TRUNCATE portal_auditentry"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                session.execute(attempt)
    # And the portal's role backs the restored site up again: the same rows.
    again = tmp_path / "backup-again"
    manage(as_app, "backup", str(again))
    first = json.loads((target / "manifest.json").read_text())
    second = json.loads((again / "manifest.json").read_text())
    assert second["migrations"] == first["migrations"]
    assert {k: v for k, v in second["rows"].items() if k != "portal.auditentry"} == {
        k: v for k, v in first["rows"].items() if k != "portal.auditentry"
    }
    assert second["rows"]["portal.auditentry"] == first["rows"]["portal.auditentry"] + 1
    assert second["files"] == first["files"]
