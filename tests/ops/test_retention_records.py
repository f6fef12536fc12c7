"""Retention (保存期間) as a council's secretariat lives it: each kind of record is kept a
number of years from the end of its fiscal year (31 March); the daily job lists what has
passed its period and removes nothing; the secretariat exports it for the archives (移管:
everything, checked by the manifest) and approves its disposal (廃棄), which removes exactly
that and logs what was removed."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from circulation.models import Circulation, Decision, Material, Meeting, Reply
from circulation.services.decisions import archive_circulation
from portal import audit
from portal.models import AuditEntry
from portal.retention.models import DisposalItem, RetentionPolicy
from portal.retention.services import kept_until, list_due
from tests.security.world import build_side

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")


def test_a_period_counts_whole_fiscal_years_from_the_31st_of_march():
    assert kept_until(dt.date(2015, 6, 1), 10) == dt.date(2026, 3, 31)
    assert kept_until(dt.date(2016, 3, 31), 10) == dt.date(2026, 3, 31)  # still FY2015
    assert kept_until(dt.date(2016, 4, 1), 10) == dt.date(2027, 3, 31)


@pytest.fixture
def archived(council):
    """A council's circulation decided and archived in FY2015 (its meeting held then), with
    replies in versions, materials, questions and held mail; the council's log of that year."""
    side = build_side(council.committee, secretariat=council.secretariat, chair=council.chair,
                      member=council.members[0], invitee_email="arai@example.jp")  # fmt: skip
    archive_circulation(side.decided.pk, by=council.secretariat)
    RetentionPolicy.objects.create(committee=council.committee, circulation_years=10,
                                   meeting_years=10, mail_years=10, audit_years=10)  # fmt: skip
    old = dt.datetime(2015, 9, 1, 10, 0, tzinfo=JST)
    Circulation.objects.filter(pk=side.decided.pk).update(
        created_at=old, updated_at=old, sent_at=old, closed_at=old
    )
    Decision.objects.filter(circulation=side.decided).update(decided_at=old)
    Meeting.objects.filter(circulation=side.decided).update(
        starts_at=old, ends_at=old + dt.timedelta(hours=2), minutes_published_at=None
    )
    with time_machine.travel(old, tick=False):
        audit.record("committee.settings.changed", actor=council.secretariat,
                     obj=council.committee)  # fmt: skip
    return side


def list_on(day: dt.date) -> int:
    with time_machine.travel(dt.datetime.combine(day, dt.time(3, 47), tzinfo=JST), tick=False):
        return list_due()


def listed(council) -> dict[str, DisposalItem]:
    return {
        f"{item.kind}:{item.key}": item
        for item in DisposalItem.objects.filter(committee=council.committee, state="listed")
    }


def test_nothing_is_listed_before_its_period_ends(archived, council):
    assert list_on(dt.date(2026, 3, 31)) == 0


def test_the_daily_job_lists_what_has_passed_its_period_and_removes_nothing(archived, council):
    circulations = Circulation.objects.count()
    entries = AuditEntry.objects.filter(committee=council.committee, at__year=2015).count()

    list_on(dt.date(2026, 4, 1))

    items = listed(council)
    assert f"circulation:{archived.decided.pk}" in items
    assert "audit:2015" in items
    assert f"circulation:{archived.open.pk}" not in items  # still open: not finished
    assert Circulation.objects.count() == circulations
    assert AuditEntry.objects.filter(committee=council.committee, at__year=2015).count() == entries
    assert list_on(dt.date(2026, 4, 2)) == 0  # listed once


def test_a_council_keeps_longer_by_its_own_setting(archived, council):
    RetentionPolicy.objects.filter(committee=council.committee).update(
        circulation_years=30, meeting_years=30, mail_years=30, audit_years=30
    )

    assert list_on(dt.date(2026, 4, 1)) == 0


def test_the_transfer_export_holds_every_version_file_and_a_manifest(archived, council, client):
    list_on(dt.date(2026, 4, 1))
    client.force_login(council.secretariat)

    response = client.get(reverse("retention_export", args=[council.committee.pk]))

    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(bundle.read("manifest.json"))
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(bundle.read(name)).hexdigest() == entry["sha256"], name
    folder = f"circulations/{archived.decided.pk}"
    html = bundle.read(f"{folder}/record.html").decode()
    assert archived.decided.title in html
    replies = bundle.read(f"{folder}/replies.csv").decode()
    for reply in Reply.objects.filter(recipient__circulation=archived.decided):
        assert f",{reply.version},{reply.kind}," in replies
    for material in Material.objects.filter(circulation=archived.decided):
        (name,) = [n for n in bundle.namelist() if f"material-{material.pk}-" in n]
        assert hashlib.sha256(bundle.read(name)).hexdigest() == material.sha256
    assert "audit/2015.csv" in bundle.namelist()
    assert AuditEntry.objects.filter(action="retention.exported").exists()
    assert all(item.exported_at for item in listed(council).values())


def test_disposal_needs_the_secretariats_approval_and_logs_what_was_removed(
    archived, council, client, django_capture_on_commit_callbacks
):
    list_on(dt.date(2026, 4, 1))
    item = listed(council)[f"circulation:{archived.decided.pk}"]
    files = [m.file.path for m in Material.objects.filter(circulation=archived.decided)]
    client.force_login(council.secretariat)
    url = reverse("retention_dispose", args=[council.committee.pk])

    client.post(url, {"item": [item.pk]})  # not confirmed: nothing happens
    assert Circulation.objects.filter(pk=archived.decided.pk).exists()

    # Today (the personas' terms cover it): FY2015 + 10 years ended on 31 March 2026.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"item": [item.pk], "confirm": "yes"})
    assert response.status_code == 302, response.content.decode()[:500]

    assert not Circulation.objects.filter(pk=archived.decided.pk).exists()
    assert Circulation.objects.filter(pk=archived.open.pk).exists()  # not approved: kept
    entry = AuditEntry.objects.get(action="retention.disposed")
    assert entry.actor == council.secretariat
    (removed,) = entry.data["items"]
    assert removed["key"] == str(archived.decided.pk)
    assert removed["rows"]["circulation"] == 1 and removed["rows"]["reply"] >= 1
    item.refresh_from_db()
    assert item.state == "disposed" and item.disposed_by == council.secretariat
    assert not any(Path(path).exists() for path in files)  # the files went too


def test_an_approved_audit_year_is_removed_through_the_append_only_guard(archived, council):
    list_on(dt.date(2026, 4, 1))
    item = listed(council)["audit:2015"]
    from portal.retention.services import approve_disposal

    with time_machine.travel(dt.datetime(2026, 4, 2, 10, 0, tzinfo=JST), tick=False):
        approve_disposal(council.committee, by=council.secretariat, item_ids=[item.pk])

    assert not AuditEntry.objects.filter(committee=council.committee, at__year=2015).exists()
    assert AuditEntry.objects.filter(action="retention.disposed").exists()  # the record of it


def test_a_lengthened_period_keeps_a_listed_record(archived, council):
    list_on(dt.date(2026, 4, 1))
    item = listed(council)[f"circulation:{archived.decided.pk}"]
    RetentionPolicy.objects.filter(committee=council.committee).update(circulation_years=30)
    from portal.retention.services import approve_disposal

    with time_machine.travel(dt.datetime(2026, 4, 2, 10, 0, tzinfo=JST), tick=False):
        assert approve_disposal(council.committee, by=council.secretariat, item_ids=[item.pk]) == []

    assert Circulation.objects.filter(pk=archived.decided.pk).exists()


def test_the_daily_audit_expiry_leaves_a_councils_entries_to_its_retention(council, settings):
    from portal.auditlog.retention import expire_audit_entries

    settings.KAIRAN_AUDIT_RETENTION_DAYS = 30
    with time_machine.travel(dt.datetime(2020, 4, 1, tzinfo=JST), tick=False):
        kept = audit.record("committee.settings.changed", obj=council.committee)
    expire_audit_entries()

    assert AuditEntry.objects.filter(pk=kept.pk).exists()
