"""`manage.py backup DIR` and `manage.py restore DIR` (docs/operations.md, "Backups").

A backup is a folder:

- `data.jsonl.gz`: every row of every model (Django's serialisation, one JSON object a line, times
  to the microsecond), read in one
  transaction — on PostgreSQL a REPEATABLE READ, READ ONLY snapshot — so the rows agree
  with one another whatever the site does meanwhile;
- `media/`: the files the snapshot's rows name (materials, minutes, mail attachments),
  copied after the snapshot: files are written before their row commits and never changed,
  so every file a row names exists; files that came later are not named and not copied;
- `manifest.json`: when, the applied migrations (the schema version), each model's row
  count, and the size and SHA-256 of the data file and of every file.

Why Django's serialisation and not pg_dump: the same command backs up the demo's SQLite and
PostgreSQL; no client binary has to match the server's version (pg_dump refuses a newer
server); and the restore only INSERTs (the audit log accepts inserts, never updates), with
the rows' own ids, into a schema made by `migrate` of the same release — which the manifest's
migrations check. The cost: bigger and slower than pg_dump on a very large site.

Restore checks everything before it writes: the checksums, the schema (the target's applied
migrations must be exactly the backup's) and that the target is empty (no row in any model
but those `migrate` makes itself: content types and permissions, which are replaced by the
backup's so that every id matches). Then, in one transaction: the rows, in bulk INSERTs,
and the sequences moved past the restored ids; the files are copied first and removed again
if the transaction fails.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
DATA = "data.jsonl.gz"
MANIFEST = "manifest.json"
MEDIA = "media"
# Not part of a site's records: sessions (everyone logs in again) and the heartbeats.
LEFT_OUT = {"sessions.session", "circulation.heartbeat"}
# Made by `migrate` itself in every installation: replaced by the backup's on restore.
MADE_BY_MIGRATE = (ContentType, Permission)
BATCH = 500


class BackupError(Exception):
    """Why a backup or a restore was refused; nothing was written."""


def backed_up_models() -> list[type[models.Model]]:
    chosen = [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in LEFT_OUT and model._meta.managed and not model._meta.proxy
    ]
    return serializers.sort_dependencies([(None, chosen)], allow_cycles=True)


def applied_migrations() -> list[str]:
    recorder = MigrationRecorder(connection)
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, models.FileField)]


# --- Backup ---------------------------------------------------------------------------------


class FullPrecision(DjangoJSONEncoder):
    """Django's JSON keeps milliseconds only (ECMA-262 dates); a restore must give back the
    very microseconds (audit entries, reply versions are compared by their time)."""

    def default(self, o: object) -> object:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def chunks(objects: Iterator[models.Model]) -> Iterator[list[models.Model]]:
    batch: list[models.Model] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class BackupReport:
    rows: int
    files: int


def backup(target: Path) -> BackupReport:
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new folder")
    counts: dict[str, int] = {}
    names: set[str] = set()
    outermost = not connection.in_atomic_block  # inside a caller's transaction: its snapshot
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        migrations = applied_migrations()
        with gzip.open(target / DATA, "wt", encoding="utf-8") as out:
            for model in backed_up_models():
                fields = file_fields(model)
                counted = [0]

                def rows(model=model, fields=fields, counted=counted) -> Iterator[models.Model]:
                    for obj in model._default_manager.order_by("pk").iterator(chunk_size=BATCH):
                        names.update(n for f in fields if (n := getattr(obj, f.attname).name))
                        counted[0] += 1
                        yield obj

                for chunk in chunks(rows()):
                    for row in serializers.serialize("python", chunk):
                        out.write(json.dumps(row, cls=FullPrecision, ensure_ascii=False) + "\n")
                counts[model._meta.label_lower] = counted[0]
    media = Path(settings.MEDIA_ROOT)
    files = {}
    for name in sorted(names):
        source = media / name
        if not source.is_file():
            raise BackupError(f"file {name} named by a row is missing from {media}")
        copy = target / MEDIA / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
        files[name] = {"size": copy.stat().st_size, "sha256": sha256_of(copy)}
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "migrations": migrations,
        "rows": counts,
        "data": {"name": DATA, "size": (target / DATA).stat().st_size,
                 "sha256": sha256_of(target / DATA)},
        "files": files,
    }  # fmt: skip
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return BackupReport(rows=sum(counts.values()), files=len(files))


# --- Restore --------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} holds no readable {MANIFEST}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def verify(source: Path, manifest: dict) -> None:
    """Every file is there with the size and checksum the manifest gives."""
    expected = {DATA: manifest["data"]}
    expected.update({f"{MEDIA}/{name}": entry for name, entry in manifest["files"].items()})
    for name, entry in expected.items():
        path = source / name
        if not path.is_file() or path.stat().st_size != entry["size"]:
            raise BackupError(f"{name} is missing or has the wrong size")
        if sha256_of(path) != entry["sha256"]:
            raise BackupError(f"{name} does not match its checksum: the backup is damaged")


def check_schema(manifest: dict) -> None:
    here, there = set(applied_migrations()), set(manifest["migrations"])
    if here != there:
        missing, extra = sorted(there - here), sorted(here - there)
        raise BackupError(
            "the schema differs from the backup's; install the release that made the backup "
            f"and migrate to it (missing here: {missing[:5]}, not in the backup: {extra[:5]})"
        )


def check_empty() -> None:
    for model in backed_up_models():
        if model in MADE_BY_MIGRATE:
            continue
        if model._default_manager.exists():
            raise BackupError(
                f"this installation is not empty ({model._meta.label} has rows): restore only "
                "into a fresh database"
            )


def check_media_free(manifest: dict) -> None:
    media = Path(settings.MEDIA_ROOT)
    taken = [name for name in manifest["files"] if (media / name).exists()]
    if taken:
        raise BackupError(f"the media folder already holds {taken[0]}: restore into a new one")


def restore(source: Path) -> int:
    manifest = read_manifest(source)
    verify(source, manifest)
    check_schema(manifest)
    check_empty()
    check_media_free(manifest)
    copied = copy_files(source, manifest)
    try:
        with transaction.atomic():
            for model in MADE_BY_MIGRATE[::-1]:
                model._default_manager.all().delete()
            restored = insert_rows(source / DATA)
            reset_sequences()
    except BaseException:
        for path in copied:
            path.unlink(missing_ok=True)
        raise
    return restored


def copy_files(source: Path, manifest: dict) -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    copied = []
    for name in manifest["files"]:
        destination = media / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / MEDIA / name, destination)
        copied.append(destination)
    return copied


def insert_rows(data: Path) -> int:
    """INSERT only, with the rows' own ids (the foreign keys are checked at commit)."""
    total = 0
    for model, found in batches(data):
        model._default_manager.bulk_create([item.object for item in found])
        keep_own_timestamps(model, found)
        for item in found:
            for name, values in (item.m2m_data or {}).items():
                getattr(item.object, name).set(values)
        total += len(found)
    return total


def keep_own_timestamps(model: type[models.Model], found: list) -> None:
    """bulk_create sets auto_now(_add) fields to now, as a new row's; put back the backup's
    (Committee.created_at, Membership.created_at: small tables)."""
    stamped = [
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for item in found if stamped else ():
        values = {name: getattr(item.object, name) for name in stamped}
        model._default_manager.filter(pk=item.object.pk).update(**values)


def batches(data: Path) -> Iterator[tuple[type[models.Model], list]]:
    model, found = None, []
    with gzip.open(data, "rt", encoding="utf-8") as lines:
        rows = (json.loads(line) for line in lines if line.strip())
        for item in serializers.deserialize("python", rows):
            if type(item.object) is not model or len(found) >= BATCH:
                if found:
                    yield model, found
                model, found = type(item.object), []
            found.append(item)
    if found:
        yield model, found


def reset_sequences() -> None:
    """Move each table's id sequence past the restored ids (PostgreSQL; SQLite continues
    from the largest id by itself): the SQL of Django's own `sqlsequencereset`."""
    statements = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
