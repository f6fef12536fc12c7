"""`manage.py backup` and `manage.py restore` as an operator uses them: a backup holds the
database, the files and a manifest with checksums and the schema version; a restore goes only
into an empty installation of the same schema, refuses a damaged backup, and — the drill, on
PostgreSQL — brings back every circulation, reply version, file, outbox row and audit entry
exactly, in a fresh database and media folder."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from circulation.models import Material
from portal.ops.backup import applied_migrations, sha256_of
from tests.security.world import build_side

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def populated(council):
    """Both councils with one of everything (drafts, replies in versions, materials,
    questions, held mail with an attachment, a meeting with minutes)."""
    build_side(council.committee, secretariat=council.secretariat, chair=council.chair,
               member=council.members[0], invitee_email="arai@example.jp")  # fmt: skip
    return council


@pytest.mark.django_db
def test_a_backup_holds_the_data_the_files_and_a_manifest_that_checks_them(populated, tmp_path):
    target = tmp_path / "backup-1"

    call_command("backup", str(target))

    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["migrations"] == applied_migrations()  # the schema version
    assert "circulation.0001_initial" in manifest["migrations"]
    assert manifest["data"]["sha256"] == sha256_of(target / "data.jsonl.gz")
    assert manifest["rows"]["circulation.reply"] >= 1
    assert manifest["rows"]["portal.auditentry"] >= 1
    assert "sessions.session" not in manifest["rows"]
    for material in Material.objects.all():
        entry = manifest["files"][material.file.name]
        assert (
            entry["sha256"] == material.sha256 == sha256_of(target / "media" / material.file.name)
        )
    with gzip.open(target / "data.jsonl.gz", "rt") as data:
        models = {json.loads(line)["model"] for line in data}
    assert {"circulation.circulation", "circulation.reply", "circulation.outboxmessage",
            "portal.auditentry", "circulation.inboundattachment"} <= models  # fmt: skip


@pytest.mark.django_db
def test_a_backup_goes_into_a_new_folder(populated, tmp_path):
    (tmp_path / "old.txt").write_text("something")

    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path))


@pytest.fixture
def made_backup(populated, tmp_path) -> Path:
    target = tmp_path / "backup"
    call_command("backup", str(target))
    return target


@pytest.mark.django_db
def test_restore_refuses_an_installation_that_is_not_empty(made_backup):
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(made_backup))


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_another_schema(made_backup):
    manifest = json.loads((made_backup / "manifest.json").read_text())
    manifest["migrations"].append("circulation.9999_from_a_later_release")
    (made_backup / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="schema differs"):
        call_command("restore", str(made_backup))


@pytest.mark.django_db
def test_restore_refuses_a_damaged_backup(made_backup):
    name = next(iter(json.loads((made_backup / "manifest.json").read_text())["files"]))
    damaged = made_backup / "media" / name
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"?")

    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(made_backup))


# --- The drill (PostgreSQL) ----------------------------------------------------------------

# Everything the drill compares, read the same way from the original and the restored site.
SNAPSHOT = r"""
import hashlib, json
from pathlib import Path
from django.conf import settings
from django.forms.models import model_to_dict
from circulation.models import (Circulation, InboundAttachment, InboundMessage, Material,
    MeetingMinutes, OutboxMessage, Reply)
from portal.models import AuditEntry, Membership, User

def rows(model):
    names = [f.name for f in model._meta.concrete_fields]
    return [{k: str(v) for k, v in model_to_dict(o, fields=names).items()}
            for o in model.objects.order_by("pk")]

def files():
    out = {}
    for model in (Material, MeetingMinutes, InboundAttachment):
        for o in model.objects.order_by("pk"):
            path = Path(settings.MEDIA_ROOT) / o.file.name
            out[o.file.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out

print(json.dumps({
    "circulations": rows(Circulation), "replies": rows(Reply), "outbox": rows(OutboxMessage),
    "audit": rows(AuditEntry), "inbound": rows(InboundMessage), "users": rows(User),
    "memberships": rows(Membership), "files": files(),
}, sort_keys=True))
"""


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def site_env(database_url: str, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KAIRAN_MEDIA_ROOT"}}
    env.update(DATABASE_URL=database_url, KAIRAN_MEDIA_ROOT=str(media), KAIRAN_TESTING="1")
    return env


@pytest.fixture
def fresh_database():
    """A new, empty PostgreSQL database on the same server, dropped afterwards."""
    import psycopg

    settings_dict = connection.settings_dict
    name = f"kairan_ops_restore_{uuid.uuid4().hex[:8]}"
    params = {"host": settings_dict["HOST"], "port": settings_dict["PORT"] or 5432,
              "user": settings_dict["USER"], "password": settings_dict["PASSWORD"] or None,
              "dbname": "postgres", "autocommit": True}  # fmt: skip
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(**params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_restore_drill_brings_back_every_record_exactly(
    populated, tmp_path, settings, fresh_database
):
    source_url = (
        os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    )
    before = manage(site_env(source_url, Path(settings.MEDIA_ROOT)), "shell", "-c", SNAPSHOT)
    target = tmp_path / "backup"
    call_command("backup", str(target))

    # A new installation of the same release: migrated, nothing else; a new media folder.
    media = tmp_path / "restored-media"
    fresh = site_env(fresh_database, media)
    manage(fresh, "migrate", "--noinput", "--verbosity", "0")
    said = manage(fresh, "restore", str(target))

    assert "restored" in said
    after = manage(fresh, "shell", "-c", SNAPSHOT)
    expected, got = (json.loads(out.strip().splitlines()[-1]) for out in (before, after))
    for part in expected:
        assert got[part] == expected[part], part
    assert expected["replies"] and expected["audit"] and expected["files"]
    # The restored site goes on: new rows get new ids (the sequences were moved on).
    check = "from portal import audit; audit.record('ops.restore.checked', actor_label='drill')"
    manage(fresh, "shell", "-c", check)
    # And a second restore into it is refused: it is no longer empty.
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(target)], cwd=ROOT, env=fresh,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0 and "not empty" in result.stderr
