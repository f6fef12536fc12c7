"""The transfer export (移管): the listed records as a zip for the archives — each record as
HTML and CSV, its files, and a manifest with the size and SHA-256 of everything in it."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import tempfile
import zipfile
from typing import IO

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from circulation.models import Circulation
from circulation.services import retention as records
from circulation.services import retention_consultations as consultations
from portal import audit
from portal.models import Committee, User

from .models import DisposalItem, Kind
from .services import audit_entries, fiscal_year_bounds


class Bundle:
    """A zip being written, keeping the manifest's entry of each file."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED)
        self.files: dict[str, dict] = {}

    def add(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self.files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def add_csv(self, name: str, header: list[str], rows: list[list[object]]) -> None:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        self.add(name, ("\ufeff" + out.getvalue()).encode())  # BOM: Excel reads it as UTF-8


def export(committee: Committee, *, by: User, now: dt.datetime | None = None) -> IO[bytes]:
    """The zip of every listed item of the council (a temporary file, read from the start);
    logged, and the items marked as exported."""
    now = now or timezone.now()
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the caller streams and closes it)
    with transaction.atomic():
        items = list(
            DisposalItem.objects.select_for_update().filter(
                committee=committee, state=DisposalItem.State.LISTED
            )
        )
        bundle = Bundle(handle)
        for item in items:
            if item.kind in (Kind.CIRCULATION, Kind.CONSULTATION):
                add_circulation(bundle, int(item.key))
            elif item.kind == Kind.MAIL:
                add_mail(bundle, committee, int(item.key))
            else:
                add_audit(bundle, committee, int(item.key))
        manifest = {
            "council": committee.name, "exported_at": now.isoformat(), "exported_by": by.email,
            "items": [{"kind": i.kind, "key": i.key, "label": i.label,
                       "kept_until": i.period_ended_on.isoformat()} for i in items],
            "files": bundle.files,
        }  # fmt: skip
        bundle.zip.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        bundle.zip.close()
        DisposalItem.objects.filter(pk__in=[i.pk for i in items]).update(exported_at=now)
        handle.seek(0)
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
        audit.record(
            "retention.exported", actor=by, obj=committee,
            data={"items": [{"kind": i.kind, "key": i.key} for i in items], "sha256": digest},
        )  # fmt: skip
    handle.seek(0)
    return handle


def add_circulation(bundle: Bundle, circulation_id: int) -> None:
    circulation = (
        Circulation.objects.select_related("committee", "decision")
        .prefetch_related("materials", "extensions", "questions__answer")
        .get(pk=circulation_id)
    )
    recipients = list(circulation.recipients.select_related("user").prefetch_related("replies"))
    consultation = consultations.consultation_export(circulation_id)
    folder = f"{'consultations' if consultation else 'circulations'}/{circulation_id}"
    files = records.circulation_files(circulation_id)
    bundle.add(
        f"{folder}/record.html",
        render_to_string(
            "portal/retention/record.html",
            {"circulation": circulation, "recipients": recipients,
             "meeting": getattr(circulation, "meeting", None),
             "files": [shown for _, shown, _ in files], "consultation": consultation},
        ).encode(),
    )  # fmt: skip
    if consultation is not None:  # votes per item and version; riders and their responses
        bundle.add_csv(f"{folder}/votes.csv", consultations.VOTE_HEADER,
                       consultations.vote_rows(consultation))  # fmt: skip
        bundle.add_csv(f"{folder}/riders.csv", consultations.RIDER_HEADER,
                       consultations.rider_rows(consultation))  # fmt: skip
    bundle.add_csv(
        f"{folder}/replies.csv",
        ["recipient", "email", "version", "kind", "opinion", "meeting_needed", "channel",
         "submitted_at"],
        [[r.user.full_name, r.user.email, reply.version, reply.kind, reply.opinion,
          reply.meeting_needed, reply.channel, reply.submitted_at.isoformat()]
         for r in recipients for reply in r.replies.all()],
    )  # fmt: skip
    for stored, shown, _ in files:
        bundle.add(f"{folder}/files/{shown}", records.media_path(stored).read_bytes())


def add_mail(bundle: Bundle, committee: Committee, year: int) -> None:
    start, end = fiscal_year_bounds(year)
    outbox = records.council_outbox(committee.pk, start, end).order_by("pk")
    bundle.add_csv(
        f"mail/{year}/sent.csv",
        ["id", "purpose", "to", "subject", "state", "created_at", "sent_at", "circulation"],
        [[m.pk, m.purpose, m.to_email, m.subject, m.state, m.created_at.isoformat(),
          m.sent_at.isoformat() if m.sent_at else None, m.circulation_id] for m in outbox],
    )  # fmt: skip
    inbound = list(records.council_inbound(committee.pk, start, end).order_by("pk"))
    bundle.add_csv(
        f"mail/{year}/received.csv",
        ["id", "from", "subject", "state", "reason", "received_at", "circulation"],
        [[m.pk, m.from_address, m.subject, m.state, m.reason, m.received_at.isoformat(),
          m.circulation_id] for m in inbound],
    )  # fmt: skip
    for message in inbound:
        bundle.add(f"mail/{year}/received/{message.pk}.eml", bytes(message.raw))


def add_audit(bundle: Bundle, committee: Committee, year: int) -> None:
    entries = audit_entries(committee, year).order_by("at", "pk")
    bundle.add_csv(
        f"audit/{year}.csv",
        ["id", "at", "actor", "action", "object_type", "object_id", "object", "ip",
         "user_agent", "result", "data"],
        [[e.pk, e.at.isoformat(), e.actor_label, e.action, e.object_type, e.object_id,
          e.object_repr, e.ip, e.user_agent, e.result, json.dumps(e.data, ensure_ascii=False)]
         for e in entries.iterator()],
    )  # fmt: skip
