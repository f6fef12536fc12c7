"""Retention (保存期間) of consultations (諮問) as the secretariat lives it: a consultation is
kept for the council's own period (諮問・答申), counted from its last step — the report's
issue or its riders' last response; one whose rider is still open is not listed; the
transfer export (移管) holds the items and results, every vote of every version, the riders
and every response, the report and the files; the disposal, once approved, removes all of
it and logs what was removed — and nothing before that approval."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    Decision,
    ItemVote,
    Material,
    ReminderNow,
    Reply,
    Rider,
    RiderResponse,
)
from circulation.services.consultation_results import RiderDraft, confirm_written_result
from circulation.services.decisions import archive_circulation, decide
from circulation.services.reports import issue_report
from circulation.services.riders import record_rider_response
from portal.models import AuditEntry
from portal.retention.models import DisposalItem, RetentionPolicy
from portal.retention.services import approve_disposal, list_due
from tests.circulation.helpers import sent_circulation
from tests.consultations import helpers as h
from tests.consultations.conftest import _body

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
OLD = dt.datetime(2015, 9, 1, 10, 0, tzinfo=JST)
PROPOSED = "定期的に操作記録を確認すること。"
ADOPTED = "業者に任せきりにせず、定期的に作業者の操作記録を確認するよう求める。"
RESPONSE = "月に一度、作業者の操作記録を確認しています。"


def decided_in_writing(council, body, *, done: bool = True) -> Circulation:
    """諮問第65号: voted in writing (田中 twice, with a proposed rider), confirmed by the
    chair with the rider adopted, the report issued, the rider's response recorded."""
    circulation = h.sent(council, staff=[body])
    tanaka, takahashi, ito = council.members
    h.vote(circulation, tanaka, "abstain", "approve")
    h.vote(circulation, tanaka, "approve", "approve", opinion="必要性はある。", rider=PROPOSED)
    h.vote(circulation, takahashi, "approve", "approve")
    h.vote(circulation, ito, "approve", "disapprove")
    circulation = h.closed(circulation)
    items = h.items_of(circulation)
    proposal = ItemVote.objects.get(proposed_rider=PROPOSED)
    confirm_written_result(
        circulation.pk, by=council.chair,
        results={items[0].pk: "approved", items[1].pk: "approved"},
        riders=[RiderDraft(ADOPTED, proposed_in=proposal.pk)], reasons="公益上の必要性がある。",
    )  # fmt: skip
    issue_report(circulation.pk, by=council.secretariat, report_date=timezone.localdate(),
                 version=h.consultation(circulation).report_version)  # fmt: skip
    rider = Rider.objects.get(consultation_id=circulation.pk)
    record_rider_response(rider.pk, by=body, text=RESPONSE, responded_on=timezone.localdate(),
                          done=done)  # fmt: skip
    return Circulation.objects.get(pk=circulation.pk)


def aged(circulation: Circulation) -> None:
    """Every step of the consultation in FY2015 (2015-09-01)."""
    Circulation.objects.filter(pk=circulation.pk).update(
        created_at=OLD, updated_at=OLD, sent_at=OLD, closed_at=OLD
    )
    Consultation.objects.filter(pk=circulation.pk).update(decided_at=OLD, issued_at=OLD)
    RiderResponse.objects.filter(rider__consultation_id=circulation.pk).update(recorded_at=OLD)


@pytest.fixture
def body(council):
    """木村: staff of the implementing body named for the consultation."""
    return _body(council, "kimura@city.example.jp", "木村 実施機関")


@pytest.fixture
def kept_ten_years(council):
    return RetentionPolicy.objects.create(
        committee=council.committee, circulation_years=30, consultation_years=10,
        meeting_years=30, mail_years=30, audit_years=30,
    )  # fmt: skip


def listed(council) -> dict[str, DisposalItem]:
    return {
        f"{item.kind}:{item.key}": item
        for item in DisposalItem.objects.filter(committee=council.committee, state="listed")
    }


def test_a_consultation_is_listed_by_its_own_period_and_nothing_is_removed(
    council, body, kept_ten_years
):
    circulation = decided_in_writing(council, body)
    aged(circulation)
    kept_ten_years.consultation_years = 30
    kept_ten_years.save()
    assert list_due() == 0  # kept 30 years: not yet

    kept_ten_years.consultation_years = 10
    kept_ten_years.save()
    list_due()

    item = listed(council)[f"consultation:{circulation.pk}"]
    assert item.label.startswith("諮問第65号 ") and item.period_ended_on == dt.date(2026, 3, 31)
    assert item.get_kind_display().startswith("諮問")
    assert Consultation.objects.filter(pk=circulation.pk).exists()  # listing removes nothing
    assert ItemVote.objects.filter(item__consultation_id=circulation.pk).count() == 8


def test_a_rider_still_open_keeps_the_consultation_off_the_list(council, body, kept_ten_years):
    circulation = decided_in_writing(council, body, done=False)
    aged(circulation)

    list_due()

    assert f"consultation:{circulation.pk}" not in listed(council)


def test_a_late_response_to_a_rider_starts_the_period_again(council, body, kept_ten_years):
    circulation = decided_in_writing(council, body)
    aged(circulation)
    RiderResponse.objects.filter(rider__consultation_id=circulation.pk).update(
        recorded_at=dt.datetime(2017, 5, 1, 10, 0, tzinfo=JST)  # FY2017: kept to 2028-03-31
    )

    list_due()

    assert f"consultation:{circulation.pk}" not in listed(council)


def test_the_transfer_export_holds_votes_riders_responses_the_report_and_files(
    client, council, body, kept_ten_years
):
    circulation = decided_in_writing(council, body)
    aged(circulation)
    list_due()
    client.force_login(council.secretariat)

    response = client.get(reverse("retention_export", args=[council.committee.pk]))

    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(bundle.read("manifest.json"))
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(bundle.read(name)).hexdigest() == entry["sha256"], name
    folder = f"consultations/{circulation.pk}"
    html = bundle.read(f"{folder}/record.html").decode()
    for said in ("諮問第65号", circulation.title, "中央地域センター", "木村 実施機関",
                 "公益上の必要性がある。", ADOPTED, RESPONSE, "(対応済み)", "承認"):  # fmt: skip
        assert said in html, said
    for item in ConsultationItem.objects.filter(consultation_id=circulation.pk):
        assert f"{item.text}: 承認" in html
    votes = bundle.read(f"{folder}/votes.csv").decode("utf-8-sig").splitlines()
    assert len(votes) == 1 + 8  # the header, two items of four reply versions
    assert any(",1,abstain," in line and "田中" in line for line in votes)  # version 1 kept
    assert any(PROPOSED in line for line in votes)
    riders = bundle.read(f"{folder}/riders.csv").decode("utf-8-sig")
    assert ADOPTED in riders and RESPONSE in riders
    replies = bundle.read(f"{folder}/replies.csv").decode("utf-8-sig")
    assert (
        replies.count("\n") == 1 + Reply.objects.filter(recipient__circulation=circulation).count()
    )
    for material in Material.objects.filter(circulation=circulation):
        (name,) = [n for n in bundle.namelist() if f"material-{material.pk}-" in n]
        assert hashlib.sha256(bundle.read(name)).hexdigest() == material.sha256
    assert listed(council)[f"consultation:{circulation.pk}"].exported_at is not None


def test_the_approved_disposal_removes_the_whole_consultation_and_logs_what(
    client, council, body, kept_ten_years, django_capture_on_commit_callbacks
):
    circulation = decided_in_writing(council, body)
    aged(circulation)
    list_due()
    item = listed(council)[f"consultation:{circulation.pk}"]
    files = [m.file.path for m in Material.objects.filter(circulation=circulation)]
    client.force_login(council.secretariat)
    url = reverse("retention_dispose", args=[council.committee.pk])

    client.post(url, {"item": [item.pk]})  # not confirmed: nothing is removed
    assert Consultation.objects.filter(pk=circulation.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"item": [item.pk], "confirm": "yes"}).status_code == 302

    assert not Circulation.objects.filter(pk=circulation.pk).exists()
    assert not Consultation.objects.filter(pk=circulation.pk).exists()
    assert not ItemVote.objects.exists() and not Rider.objects.exists()
    assert not RiderResponse.objects.exists() and not ConsultationItem.objects.exists()
    (removed,) = AuditEntry.objects.get(action="retention.disposed").data["items"]
    assert removed["kind"] == "consultation" and removed["exported"] is False
    rows = removed["rows"]
    assert rows["consultation"] == 1 and rows["item_vote"] == 8 and rows["rider"] == 1
    assert rows["rider_response"] == 1 and rows["consultation_item"] == 2
    assert rows["reply"] == 4 and rows["circulation"] == 1
    assert not any(Path(path).exists() for path in files)


def test_a_circulation_reminded_by_hand_can_be_disposed_of_too(council, kept_ten_years):
    """The reminders sent by hand (未回答の委員に督促する) go with their circulation."""
    circulation = sent_circulation(council)
    ReminderNow.objects.create(circulation=circulation, sent_by=council.secretariat)
    circulation = h.closed(circulation)
    decide(circulation.pk, by=council.chair, convene=False, reason="重要事項はない。")
    archive_circulation(circulation.pk, by=council.secretariat)
    Circulation.objects.filter(pk=circulation.pk).update(updated_at=OLD, closed_at=OLD, sent_at=OLD)
    Decision.objects.filter(circulation=circulation).update(decided_at=OLD)
    kept_ten_years.circulation_years = 10
    kept_ten_years.save()
    list_due()
    item = listed(council)[f"circulation:{circulation.pk}"]

    approve_disposal(council.committee, by=council.secretariat, item_ids=[item.pk])

    assert not Circulation.objects.filter(pk=circulation.pk).exists()
    assert not ReminderNow.objects.exists()


def test_the_secretariat_sets_the_consultations_period_on_the_retention_page(client, council):
    client.force_login(council.secretariat)
    url = reverse("retention_page", args=[council.committee.pk])
    page = client.get(url).content.decode()
    assert "諮問・答申" in page and 'name="consultation_years"' in page

    years = {"circulation_years": 10, "consultation_years": 30, "meeting_years": 10,
             "mail_years": 5, "audit_years": 5}  # fmt: skip
    assert client.post(url, years).status_code == 302
    assert RetentionPolicy.objects.get(committee=council.committee).consultation_years == 30
    changed = AuditEntry.objects.get(action="retention.policy.changed")
    assert changed.data["after"]["consultation_years"] == 30
    assert client.post(url, {**years, "consultation_years": 0}).status_code == 200  # refused
    assert RetentionPolicy.objects.get(committee=council.committee).consultation_years == 30
