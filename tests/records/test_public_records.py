"""Public records (公開記録), as the public reads them without logging in: the council's page,
the index of councils, the Atom feed and the static export. A withheld passage (非公開部分)
shows as a note with its reason and never as text — not on the page, in the feed, in the
export, in an attribute or a comment; names are shown or 「委員」 as the council chose; a
correction shows 更新日 and keeps the earlier versions; a withdrawn record is gone; where the
council asks, the chair confirms each step."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.models import Minutes, MinutesVersion, OutboxMessage, Publication, RecordSettings
from circulation.reads.minutes import MinutesContent
from circulation.services.minutes_drafts import (
    MinutesInvalid,
    MinutesRefused,
    approve_minutes,
    revise_minutes,
    send_for_check,
    start_session_minutes,
    start_written_record,
)
from circulation.services.publication import (
    confirm_publication,
    export_records,
    request_correction,
    request_publication,
    request_withdrawal,
    update_record_settings,
)
from portal.models import AuditEntry
from tests.meetings.helpers import convened_scene
from tests.records.scenes import SECRET, WITHHELD_REASON, held_session, written_minutes

pytestmark = pytest.mark.django_db
anonymous = Client


def _approved(council, session) -> Minutes:
    """Minutes written (with the withheld passage), checked and approved: version 2."""
    minutes = start_session_minutes(session.pk, by=council.secretariat)
    first = minutes.versions.get()
    revise_minutes(minutes.pk, by=council.secretariat, base_version=1,
                   content=written_minutes(MinutesContent.of(first)))  # fmt: skip
    send_for_check(minutes.pk, by=council.secretariat,
                   deadline=timezone.now() + dt.timedelta(days=7),
                   checker_ids=[m.pk for m in council.members])  # fmt: skip
    approve_minutes(minutes.pk, by=council.chair, version=2)
    return Minutes.objects.get(pk=minutes.pk)


@pytest.fixture
def published(council, session) -> Minutes:
    minutes = _approved(council, session)
    request_publication(minutes.pk, by=council.secretariat, version=2)
    return Minutes.objects.get(pk=minutes.pk)


def _page(council, minutes) -> str:
    response = anonymous().get(reverse("public_record", args=[council.committee.pk, minutes.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_withheld_passage_never_reaches_the_page_the_feed_or_the_export(council, published):
    page = _page(council, published)
    assert SECRET not in page
    assert "XYZ" not in page  # not a fragment either, nor in an attribute or a comment
    assert f"この部分は公開していません(非公開部分。理由:{WITHHELD_REASON})" in page
    feed = anonymous().get(reverse("public_feed", args=[council.committee.pk]))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    assert SECRET not in feed.content.decode() and "XYZ" not in feed.content.decode()
    council_page = anonymous().get(reverse("public_council", args=[council.committee.pk]))
    assert "XYZ" not in council_page.content.decode()
    data = export_records(council.committee, by=council.secretariat)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            assert "XYZ" not in zf.read(name).decode(), name
        record = zf.read(f"record-{published.pk}.html").decode()
    assert WITHHELD_REASON in record
    # The council keeps the text: the secretariat reads it on the minutes' page.
    staff = Client()
    staff.force_login(council.secretariat)
    assert SECRET in staff.get(reverse("minutes_detail", args=[published.pk])).content.decode()


def test_the_export_is_html_pages_with_one_stylesheet_and_no_scripts(council, published):
    data = export_records(council.committee, by=council.secretariat)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(["index.html", f"record-{published.pk}.html", "style.css"])
        for name in names:
            if not name.endswith(".html"):
                continue
            html = zf.read(name).decode()
            assert "<script" not in html.lower()
            assert re.findall(r'href="([^"]+)"', html)
            for link in re.findall(r'(?:href|src)="([^"#]+)"', html):
                assert not link.startswith(("http:", "https:", "//", "/")), (name, link)
        index = zf.read("index.html").decode()
    assert f'href="record-{published.pk}.html"' in index
    assert '<link rel="stylesheet" href="style.css">' in index
    entry = AuditEntry.objects.get(action="record.exported")
    assert entry.actor == council.secretariat and entry.data["records"] == 1


def test_names_are_masked_unless_the_council_shows_them(council, published):
    page = _page(council, published)
    for name in ("田中", "高橋", "伊藤"):  # (the election's result names the chair: typed so)
        assert name not in page, name
    # 出席者 by role and count; the speaker by role only.
    assert "会長、職務代理者、委員2名" in page
    assert "(委員)" in page and "田中" not in page
    update_record_settings(council.committee, by=council.secretariat, public_names=True,
                           chair_confirms=False, department="市民生活部住民情報課")  # fmt: skip
    page = _page(council, published)
    assert "山田 会長(会長)、鈴木 代理(職務代理者)、田中 委員、高橋 委員" in page
    assert "(委員 田中 委員)" in page
    assert "市民生活部住民情報課" in page
    assert AuditEntry.objects.filter(action="record.settings.changed").exists()


def test_a_correction_shows_its_date_and_keeps_the_earlier_versions(
    council, published, time_machine
):
    first_day = timezone.localdate()
    time_machine.move_to(timezone.now() + dt.timedelta(days=3), tick=False)
    latest = published.versions.get(number=2)
    content = MinutesContent.of(latest)
    content = MinutesContent(**{**content.__dict__, "held": "2026年訂正済みの日時"})
    revise_minutes(published.pk, by=council.secretariat, content=content, base_version=2)
    # Until the correction is made, the public still reads version 2.
    assert "訂正済みの日時" not in _page(council, published)
    with pytest.raises(MinutesInvalid):  # a correction says why
        request_correction(published.pk, by=council.secretariat, version=3, reason="")
    request_correction(published.pk, by=council.secretariat, version=3, reason="日時の誤記を訂正")
    page = _page(council, published)
    updated = timezone.localdate()
    assert "訂正済みの日時" in page
    assert f"更新日: {updated.year}年{updated.month}月{updated.day}日" in page
    assert f"公開日: {first_day.year}年{first_day.month}月{first_day.day}日" in page
    assert "日時の誤記を訂正" in page
    assert list(MinutesVersion.objects.filter(minutes=published).values_list("number", "held")
                )[1][1] == latest.held  # fmt: skip
    assert AuditEntry.objects.filter(action="record.corrected", data__version=3).exists()


def test_a_withdrawn_record_is_gone_for_everybody(council, published):
    url = reverse("public_record", args=[council.committee.pk, published.pk])
    request_withdrawal(published.pk, by=council.secretariat, reason="誤って公開したため")
    assert anonymous().get(url).status_code == 404
    signed_in = Client()
    signed_in.force_login(council.members[0])
    assert signed_in.get(url).status_code == 404
    assert (
        anonymous().get(reverse("public_council", args=[council.committee.pk])).status_code == 404
    )
    assert anonymous().get(reverse("public_feed", args=[council.committee.pk])).status_code == 404
    assert council.committee.name not in anonymous().get(reverse("public_index")).content.decode()
    assert AuditEntry.objects.filter(action="record.withdrawn").exists()
    # Published again (the same approved text): back, with 更新日.
    request_publication(published.pk, by=council.secretariat, version=2)
    assert "更新日" in anonymous().get(url).content.decode()


def test_the_chair_confirms_each_step_where_the_council_asks(council, session):
    update_record_settings(council.committee, by=council.secretariat, public_names=False,
                           chair_confirms=True, department="")  # fmt: skip
    minutes = _approved(council, session)
    url = reverse("public_record", args=[council.committee.pk, minutes.pk])
    publication = request_publication(minutes.pk, by=council.secretariat, version=2)
    assert publication.state == Publication.State.PENDING
    assert anonymous().get(url).status_code == 404  # not public until confirmed
    asked = OutboxMessage.objects.get(purpose="minutes.confirm")
    assert asked.to_email == "yamada@example.jp"
    # A second step waits for the first.
    with pytest.raises(MinutesRefused):
        request_publication(minutes.pk, by=council.secretariat, version=2)
    # Neither the secretariat nor the acting chair (the chair sits) confirms.
    with pytest.raises(MinutesRefused):
        confirm_publication(publication.pk, by=council.secretariat, accept=True)
    with pytest.raises(MinutesRefused):
        confirm_publication(publication.pk, by=council.acting_chair, accept=True)
    chair = Client()
    chair.force_login(council.chair)
    page = chair.get(reverse("minutes_detail", args=[minutes.pk])).content.decode()
    assert "公開を確認する" in page
    response = chair.post(reverse("publication_confirm", args=[minutes.pk, publication.pk]),
                          {"confirm": ""})  # fmt: skip
    assert response.status_code == 302
    assert anonymous().get(url).status_code == 200
    # The withdrawal waits too; the chair may send it back.
    withdrawal = request_withdrawal(minutes.pk, by=council.secretariat, reason="取り下げの理由")
    confirm_publication(withdrawal.pk, by=council.chair, accept=False)
    assert anonymous().get(url).status_code == 200
    actions = list(AuditEntry.objects.filter(action__startswith="record.").order_by("pk")
                   .values_list("action", flat=True))  # fmt: skip
    assert actions == [
        "record.settings.changed", "record.requested", "record.confirmed", "record.published",
        "record.requested", "record.declined",
    ]  # fmt: skip


def test_the_acting_chair_confirms_while_the_chair_is_absent(council, session):
    update_record_settings(council.committee, by=council.secretariat, public_names=False,
                           chair_confirms=True, department="")  # fmt: skip
    minutes = _approved(council, session)
    council.committee.chair_absent = True
    council.committee.save(update_fields=["chair_absent"])
    publication = request_publication(minutes.pk, by=council.secretariat, version=2)
    assert OutboxMessage.objects.get(purpose="minutes.confirm").to_email == "suzuki@example.jp"
    confirm_publication(publication.pk, by=council.acting_chair, accept=True)
    assert Minutes.objects.get(pk=minutes.pk).state == Minutes.State.PUBLISHED


def test_a_written_deliberation_has_a_public_record(council, time_machine):
    scene = convened_scene(council, convene=False)
    time_machine.move_to(scene.decided_at + dt.timedelta(hours=1), tick=False)
    minutes = start_written_record(scene.circulation.pk, by=council.secretariat)
    first = minutes.versions.get()
    assert first.place == "書面開催"
    assert first.title == f"{council.committee.name}(書面開催)"
    texts = list(first.parts.values_list("text", flat=True))
    assert any("会議は開催しないことに決定した" in t for t in texts)
    # No member check for a written deliberation: published at once (names masked).
    request_publication(minutes.pk, by=council.secretariat, version=1)
    page = _page(council, minutes)
    assert scene.circulation.title in page
    assert "書面開催" in page and "会議は開催しないことに決定した" in page
    for name in ("田中", "高橋", "伊藤"):
        assert name not in page


def test_the_index_and_the_council_page_list_published_records_only(council, session, published):
    other = start_session_minutes(held_session(council, days_ago=2).pk, by=council.secretariat)
    index = anonymous().get(reverse("public_index")).content.decode()
    assert council.committee.name in index
    assert council.other_committee.name not in index  # nothing published there
    listing = anonymous().get(reverse("public_council", args=[council.committee.pk]))
    assert (
        reverse("public_record", args=[council.committee.pk, published.pk])
        in listing.content.decode()
    )
    assert reverse("public_record", args=[council.committee.pk, other.pk]) not in (
        listing.content.decode()
    )
    # The draft answers 404 to the public, as does a record asked under another council.
    for url in (
        reverse("public_record", args=[council.committee.pk, other.pk]),
        reverse("public_record", args=[council.other_committee.pk, published.pk]),
        reverse("public_council", args=[council.other_committee.pk]),
    ):
        assert anonymous().get(url).status_code == 404, url


def test_public_pages_cost_the_same_however_many_records(
    council, published, django_assert_max_num_queries
):
    for days in range(2, 6):
        _publish_another(council, held_session(council, days_ago=days))
    with django_assert_max_num_queries(4):
        anonymous().get(reverse("public_council", args=[council.committee.pk]))
    with django_assert_max_num_queries(3):
        anonymous().get(reverse("public_index"))
    with django_assert_max_num_queries(4):
        anonymous().get(reverse("public_feed", args=[council.committee.pk]))


def _publish_another(council, meeting) -> None:
    minutes = start_session_minutes(meeting.pk, by=council.secretariat)
    send_for_check(minutes.pk, by=council.secretariat,
                   deadline=timezone.now() + dt.timedelta(days=7),
                   checker_ids=[council.members[0].pk])  # fmt: skip
    approve_minutes(minutes.pk, by=council.chair, version=1)
    request_publication(minutes.pk, by=council.secretariat, version=1)


def test_settings_default_to_masked_names_and_no_confirmation(council):
    settings = RecordSettings.settings_of(council.committee)
    assert (settings.public_names, settings.chair_confirms) == (False, False)


def test_the_secretariats_list_costs_the_same_however_many_records(council, published):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = Client()
    staff.force_login(council.secretariat)
    url = reverse("council_minutes", args=[council.committee.pk])

    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(url).status_code == 200
        return len(queries)

    staff.get(url)  # warm: what a process reads once (beat's heartbeat is kept until a tick)
    few = statements()
    for days in range(2, 6):
        held_session(council, days_ago=days)  # sessions without minutes yet
        _publish_another(council, held_session(council, days_ago=days + 10))
    page = staff.get(url).content.decode()
    assert page.count("会議録を作成する") == 4
    assert statements() == few


def test_publishing_the_minutes_of_a_convened_circulations_meeting_files_it(council, time_machine):
    from circulation.models import Circulation
    from tests.meetings.helpers import schedule

    scene = convened_scene(council)
    time_machine.move_to(scene.decided_at + dt.timedelta(hours=1), tick=False)
    meeting = schedule(council, scene)
    time_machine.move_to(scene.starts_at + dt.timedelta(hours=3), tick=False)
    minutes = start_session_minutes(meeting.pk, by=council.secretariat)
    send_for_check(minutes.pk, by=council.secretariat,
                   deadline=timezone.now() + dt.timedelta(days=7),
                   checker_ids=[council.members[0].pk])  # fmt: skip
    approve_minutes(minutes.pk, by=council.chair, version=1)
    assert scene.reload().state == Circulation.State.DECIDED
    request_publication(minutes.pk, by=council.secretariat, version=1)
    assert scene.reload().state == Circulation.State.ARCHIVED
    entry = AuditEntry.objects.get(action="record.published")
    assert entry.data["archived"] is True
