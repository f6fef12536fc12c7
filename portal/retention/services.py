"""Retention's changes: the council's periods, the daily list of what is past them, and the
disposal the secretariat approves. Each in one transaction with its audit entry.

Periods count whole fiscal years (年度, April to March): a record finished in FY2015 (on any
day from 1 April 2015 to 31 March 2016) and kept 10 years is kept until 31 March 2026 and
listed from 1 April 2026. A circulation with a meeting waits for the longer of its two
periods. Listing removes nothing; approving removes the listed records that are still past
their period (a period lengthened meanwhile keeps them). A consultation (諮問) is kept by
its own period, from its report's issue or its riders' last response, whichever is later;
one whose riders are still open is not listed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from circulation.services import retention as records
from circulation.services import retention_consultations as consultations
from portal import audit
from portal.auditlog.retention import delete_approved
from portal.models import AuditEntry, Committee, User

from .models import DisposalItem, Kind, RetentionPolicy

log = logging.getLogger(__name__)


def policy_of(committee: Committee) -> RetentionPolicy:
    """The council's periods (the defaults until its secretariat sets them)."""
    return RetentionPolicy.objects.filter(committee=committee).first() or RetentionPolicy(
        committee=committee
    )


def kept_until(finished_on: dt.date, years: int) -> dt.date:
    """The last day a record finished on `finished_on` is kept: 31 March, `years` fiscal
    years after the end of its own fiscal year."""
    return dt.date(records.fiscal_year_of(finished_on) + 1 + years, 3, 31)


def fiscal_year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    return (
        dt.datetime(year, 4, 1, tzinfo=tz),
        dt.datetime(year + 1, 4, 1, tzinfo=tz),
    )


@dataclass(frozen=True)
class Due:
    kind: str
    key: str
    label: str
    kept_until: dt.date


def due_records(committee: Committee, today: dt.date) -> list[Due]:
    policy = policy_of(committee)
    due = []
    for record in records.finished_circulations(committee.pk):
        until = kept_until(record.finished_on, policy.circulation_years)
        if record.meeting_on is not None:
            until = max(until, kept_until(record.meeting_on, policy.meeting_years))
        if until < today:
            label = f"{record.circulation.title}(No.{record.circulation.pk})"
            due.append(Due(Kind.CIRCULATION, str(record.circulation.pk), label, until))
    for consultation in consultations.finished_consultations(committee.pk):
        until = kept_until(consultation.finished_on, policy.consultation_years)
        if until < today:
            due.append(Due(Kind.CONSULTATION, str(consultation.circulation.pk),
                           consultation.label, until))  # fmt: skip
    for year in sorted(records.mail_years(committee.pk)):
        until = dt.date(year + 1 + policy.mail_years, 3, 31)
        start, end = fiscal_year_bounds(year)
        if until < today and (
            records.council_outbox(committee.pk, start, end).exists()
            or records.council_inbound(committee.pk, start, end).exists()
        ):
            due.append(Due(Kind.MAIL, str(year), f"{year}年度のメール", until))
    for year in audit_years(committee):
        until = dt.date(year + 1 + policy.audit_years, 3, 31)
        if until < today:
            due.append(Due(Kind.AUDIT, str(year), f"{year}年度の操作記録", until))
    return due


def audit_years(committee: Committee) -> list[int]:
    first = (
        AuditEntry.objects.filter(committee=committee).order_by("at").values_list("at", flat=True)
    ).first()
    if first is None:
        return []
    years = range(records.fiscal_year_of(timezone.localdate(first)), timezone.localdate().year + 1)
    return [y for y in years if audit_entries(committee, y).exists()]


def audit_entries(committee: Committee, year: int):
    start, end = fiscal_year_bounds(year)
    return AuditEntry.objects.filter(committee=committee, at__gte=start, at__lt=end)


# --- Changes ----------------------------------------------------------------------------------


def set_policy(committee: Committee, *, by: User, years: dict[str, int]) -> RetentionPolicy:
    with transaction.atomic():
        policy = policy_of(committee)
        before = {name: getattr(policy, name) for name in years}
        for name, value in years.items():
            setattr(policy, name, value)
        policy.save()
        audit.record(
            "retention.policy.changed", actor=by, obj=committee,
            data={"before": before, "after": years},
        )  # fmt: skip
    return policy


def list_due(now: dt.datetime | None = None) -> int:
    """The daily job: list every council's records past their period for its secretariat.
    Removes nothing. Returns how many items were newly listed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    added = 0
    for committee in Committee.objects.order_by("pk"):
        with transaction.atomic():
            listed = set(
                DisposalItem.objects.filter(
                    committee=committee, state=DisposalItem.State.LISTED
                ).values_list("kind", "key")
            )
            new = [d for d in due_records(committee, today) if (d.kind, d.key) not in listed]
            DisposalItem.objects.bulk_create(
                DisposalItem(committee=committee, kind=d.kind, key=d.key, label=d.label[:300],
                             period_ended_on=d.kept_until, listed_at=now)
                for d in new
            )  # fmt: skip
            if new:
                audit.record(
                    "retention.listed", actor_label="beat", obj=committee,
                    data={"items": [{"kind": d.kind, "key": d.key} for d in new]},
                )  # fmt: skip
            added += len(new)
    return added


def approve_disposal(
    committee: Committee, *, by: User, item_ids: Iterable[int], now: dt.datetime | None = None
) -> list[DisposalItem]:
    """Remove the listed records the secretariat approved, if they are still past their
    period; log what was removed. Files go after the commit."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    files: list[str] = []
    disposed: list[DisposalItem] = []
    with transaction.atomic():
        items = list(
            DisposalItem.objects.select_for_update().filter(
                committee=committee, state=DisposalItem.State.LISTED, pk__in=list(item_ids)
            )
        )
        still_due = {(d.kind, d.key) for d in due_records(committee, today)}
        for item in items:
            if (item.kind, item.key) not in still_due:
                continue  # its period was lengthened, or it changed: kept
            removed = remove(committee, item)
            files += removed.files
            item.state, item.disposed_at, item.disposed_by = item.State.DISPOSED, now, by
            item.removed = {"rows": removed.rows, "files": len(removed.files)}
            item.save(update_fields=["state", "disposed_at", "disposed_by", "removed"])
            disposed.append(item)
        if disposed:
            audit.record(
                "retention.disposed", actor=by, obj=committee,
                data={"items": [{"kind": i.kind, "key": i.key, "label": i.label,
                                 "exported": i.exported_at is not None, **i.removed}
                                for i in disposed]},
            )  # fmt: skip
        transaction.on_commit(lambda: delete_files(files))
    return disposed


def remove(committee: Committee, item: DisposalItem) -> records.Removed:
    if item.kind in (Kind.CIRCULATION, Kind.CONSULTATION):
        return records.delete_circulation(int(item.key))
    if item.kind == Kind.MAIL:
        return records.delete_mail(committee.pk, *fiscal_year_bounds(int(item.key)))
    removed = records.Removed()
    start, stop = fiscal_year_bounds(int(item.key))
    removed.add("audit_entry", delete_approved(committee.pk, start, stop))
    return removed


def delete_files(names: list[str]) -> None:
    for name in names:
        try:
            records.media_path(name).unlink(missing_ok=True)
        except OSError:
            log.warning("retention: could not delete file %s", name, exc_info=True)
