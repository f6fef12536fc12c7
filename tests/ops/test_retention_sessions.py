"""Retention (保存期間) of sessions (会議) as the secretariat lives it: a session held on its
own is kept by the council's period for 会議・会議録, counted from its last step; listing it
removes nothing; the transfer export (移管) holds its agenda, materials, attendance and
elections; the approved disposal removes all of it with its files. A circulation whose
meeting was held as a session is disposed of with the session's rows, and one that a kept
session's agenda names leaves that agenda item as its text."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from circulation.models import (
    AgendaItem,
    Attendance,
    Circulation,
    Decision,
    Election,
    Meeting,
    Minutes,
    MinutesVersion,
    OutboxMessage,
    SessionMaterial,
)
from circulation.services.attendance import answer_attendance, record_attendance
from circulation.services.elections import record_election
from circulation.services.minutes_drafts import start_session_minutes, start_written_record
from circulation.services.sessions import AgendaLine, add_session_material, set_agenda
from circulation.uploads.checks import check_upload
from portal.models import AuditEntry
from portal.retention.export import export
from portal.retention.models import DisposalItem, RetentionPolicy
from portal.retention.services import approve_disposal, list_due
from tests.circulation.helpers import PDF_BYTES, sent_circulation
from tests.sessions.helpers import Moments, schedule_first

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
OLD = dt.datetime(2015, 9, 1, 14, 0, tzinfo=JST)


@pytest.fixture
def moments(council, time_machine) -> Moments:
    found = Moments()
    time_machine.move_to(found.scheduled_at, tick=False)
    return found


@pytest.fixture
def kept_ten_years(council):
    return RetentionPolicy.objects.create(
        committee=council.committee, circulation_years=30, consultation_years=30,
        meeting_years=10, mail_years=30, audit_years=30,
    )  # fmt: skip


def held(council, moments, time_machine) -> Meeting:
    """第1回: scheduled on its own with its agenda, 次第.pdf as 資料1, 田中 answering 出席;
    held, with the attendance recorded, 田中 elected acting chair and its minutes begun in
    Kairan; then aged to FY2015."""
    session = schedule_first(council, moments)
    add_session_material(
        session.pk, by=council.secretariat,
        upload=check_upload(ContentFile(PDF_BYTES, name="次第.pdf")), title="次第",
    )  # fmt: skip
    answer_attendance(session.pk, by=council.members[0], answer="attend")
    time_machine.move_to(moments.starts_at + dt.timedelta(minutes=30), tick=False)
    record_attendance(session.pk, by=council.secretariat,
                      attended={council.members[0].pk, council.chair.pk}, observers=2)  # fmt: skip
    record_election(session.pk, by=council.secretariat, role="acting_chair",
                    elected_id=council.members[0].pk)  # fmt: skip
    start_session_minutes(session.pk, by=council.secretariat)
    Meeting.objects.filter(pk=session.pk).update(
        starts_at=OLD, ends_at=OLD + dt.timedelta(hours=2), version_at=OLD, scheduled_at=OLD,
        attendance_recorded_at=OLD + dt.timedelta(hours=1), reminder_at=OLD,
    )  # fmt: skip
    return Meeting.objects.get(pk=session.pk)


def listed(council) -> dict[str, DisposalItem]:
    return {
        f"{item.kind}:{item.key}": item
        for item in DisposalItem.objects.filter(committee=council.committee, state="listed")
    }


def test_a_session_is_listed_by_the_meetings_period_and_nothing_is_removed(
    council, moments, time_machine, kept_ten_years
):
    session = held(council, moments, time_machine)
    kept_ten_years.meeting_years = 30
    kept_ten_years.save()
    list_due()
    assert f"session:{session.pk}" not in listed(council)  # kept 30 years: not yet

    kept_ten_years.meeting_years = 10
    kept_ten_years.save()
    list_due()

    item = listed(council)[f"session:{session.pk}"]
    assert item.label.startswith("第1回 ") and item.period_ended_on == dt.date(2026, 3, 31)
    assert item.get_kind_display().startswith("会議")
    assert Meeting.objects.filter(pk=session.pk).exists()  # listing removes nothing
    assert Attendance.objects.filter(meeting=session).exists()


def test_the_transfer_export_holds_the_session_and_the_disposal_removes_it(
    council, moments, time_machine, kept_ten_years, django_capture_on_commit_callbacks
):
    session = held(council, moments, time_machine)
    stored = Path(settings.MEDIA_ROOT) / SessionMaterial.objects.get(meeting=session).file.name
    list_due()
    item = listed(council)[f"session:{session.pk}"]

    with zipfile.ZipFile(io.BytesIO(export(council.committee, by=council.secretariat).read())) as z:
        names = set(z.namelist())
        record = z.read(f"sessions/{session.pk}/record.html").decode()
        attendance = z.read(f"sessions/{session.pk}/attendance.csv").decode("utf-8-sig")
    assert f"sessions/{session.pk}/files/session-material-" in "".join(sorted(names))
    assert "会長及び職務代理者の選任" in record and "職務代理者: 田中 委員" in record
    assert "田中 委員" in attendance and "attend" in attendance

    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        approve_disposal(council.committee, by=council.secretariat, item_ids=[item.pk])

    assert not Meeting.objects.filter(pk=session.pk).exists()
    for model in (AgendaItem, Attendance, Election, SessionMaterial, Minutes):
        assert not model.objects.filter(meeting_id=session.pk).exists(), model
    assert not MinutesVersion.objects.exists()
    assert not stored.exists()
    entry = AuditEntry.objects.filter(action="retention.disposed").latest("at")
    removed = entry.data["items"][0]
    assert removed["kind"] == "session" and removed["rows"]["meeting"] == 1
    assert removed["rows"]["attendance"] >= 1 and removed["files"] == 1


def test_a_circulation_named_on_a_kept_agenda_is_disposed_of_and_the_item_keeps_its_text(
    council, moments, time_machine, kept_ten_years
):
    """An old circulation, archived in FY2015, is past its period; this year's session
    named it on its agenda. Disposing of the circulation leaves the agenda item's words."""
    old = sent_circulation(council, title="平成27年度 運用状況報告")
    Circulation.objects.filter(pk=old.pk).update(state=Circulation.State.ARCHIVED)
    Decision.objects.create(circulation=old, convene=False, reason="意見なし", decided_at=OLD,
                            decided_by=council.chair, decided_as="chair")  # fmt: skip
    written = start_written_record(old.pk, by=council.secretariat)  # 書面開催の記録
    Circulation.objects.filter(pk=old.pk).update(
        created_at=OLD, updated_at=OLD, sent_at=OLD, closed_at=OLD
    )
    kept_ten_years.circulation_years = 10
    kept_ten_years.save()
    session = schedule_first(council, moments)
    set_agenda(session.pk, by=council.secretariat,
               agenda=[AgendaLine("平成27年度の運用状況", circulation_id=old.pk)])  # fmt: skip
    list_due()
    item = listed(council)[f"circulation:{old.pk}"]

    approve_disposal(council.committee, by=council.secretariat, item_ids=[item.pk])

    assert not Circulation.objects.filter(pk=old.pk).exists()
    assert not Minutes.objects.filter(pk=written.pk).exists()  # its written record went too
    agenda = AgendaItem.objects.get(meeting=session)
    assert agenda.text == "平成27年度の運用状況" and agenda.circulation_id is None


def test_the_mail_of_a_session_held_on_its_own_goes_with_the_councils_mail_of_its_year(
    council, moments, time_machine, kept_ten_years
):
    """The invitations of a session without a circulation are the council's mail too: listed
    with the fiscal year's mail and removed when that disposal is approved."""
    session = held(council, moments, time_machine)
    invitations = OutboxMessage.objects.filter(
        circulation__isnull=True, purpose__startswith="meeting."
    )
    assert invitations.exists()
    assert set(invitations.values_list("committee_id", flat=True)) == {council.committee.pk}
    invitations.update(state=OutboxMessage.State.SENT, created_at=OLD)
    kept_ten_years.meeting_years = 30  # the session itself is kept
    kept_ten_years.mail_years = 10
    kept_ten_years.save()
    list_due()
    item = listed(council)["mail:2015"]
    assert f"session:{session.pk}" not in listed(council)

    approve_disposal(council.committee, by=council.secretariat, item_ids=[item.pk])

    assert not invitations.exists()
    assert Meeting.objects.filter(pk=session.pk).exists()
