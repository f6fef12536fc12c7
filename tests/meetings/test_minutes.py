"""The minutes (会議録): after the meeting has begun the secretariat uploads them (checked by
content like every material, kept across form errors), may upload a better version, and
publishes them (公開する): members are told with a link, see them on the circulation's pages
and in the decision record, and the circulation is filed (完了)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from circulation.mail.meeting import MINUTES
from circulation.models import Circulation, Meeting, MeetingMinutes
from circulation.services.decisions import archive_circulation
from circulation.services.meetings import MeetingInvalid, MeetingRefused, cancel_meeting
from circulation.services.minutes import publish_minutes, upload_minutes
from circulation.uploads.checks import check_upload
from portal.models import AuditEntry
from tests.circulation.files import EXE, HTML, upload
from tests.circulation.helpers import PDF_BYTES
from tests.meetings.helpers import INVITED, addresses, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(council, convened, time_machine):
    """The meeting was scheduled; the clock now stands an hour after it began."""
    schedule(council, convened)
    time_machine.move_to(convened.starts_at + dt.timedelta(hours=3), tick=False)
    return convened


def pdf(name: str = "会議録.pdf"):
    return check_upload(upload(name, PDF_BYTES, "application/pdf"))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_secretariat_uploads_then_publishes_and_everyone_is_told(council, held):
    minutes = upload_minutes(held.circulation.pk, by=council.secretariat, upload=pdf(),
                             title="第46回 管理運用会議 会議録")  # fmt: skip
    assert (minutes.version, minutes.title, minutes.original_name) == (
        1, "第46回 管理運用会議 会議録", "会議録.pdf",
    )  # fmt: skip
    assert minutes.file.name.startswith(f"minutes/{council.committee.pk}/")
    assert addresses(MINUTES) == []  # nobody is told before publishing
    uploaded = AuditEntry.objects.get(action="meeting.minutes.uploaded")
    assert (uploaded.actor, uploaded.committee) == (council.secretariat, council.committee)
    assert uploaded.data["sha256"] == minutes.sha256

    publish_minutes(held.circulation.pk, by=council.secretariat, minutes_id=minutes.pk)

    meeting = Meeting.objects.get()
    assert meeting.published_minutes == minutes
    assert meeting.minutes_published_by == council.secretariat
    assert addresses(MINUTES) == INVITED
    assert held.reload().state == Circulation.State.ARCHIVED
    published = AuditEntry.objects.get(action="meeting.minutes.published")
    assert published.data["archived"] is True and published.data["version"] == 1
    assert AuditEntry.objects.filter(action="circulation.archived").count() == 1
    mail = addresses_mail("ito@example.jp")
    assert mail.subject == f"【会議録の公開】{held.circulation.title}"
    link = f"/c/{held.circulation.pk}/meeting/minutes/{minutes.pk}/download/"
    assert link in mail.body_text and link in mail.body_html


def addresses_mail(address: str):
    from circulation.models import OutboxMessage

    return OutboxMessage.objects.get(purpose=MINUTES, to_email=address)


def test_minutes_cannot_be_uploaded_before_the_meeting_begins(council, convened):
    schedule(council, convened)
    with pytest.raises(MeetingRefused, match=r"会議の開始.*の後に登録できます") as refused:
        upload_minutes(convened.circulation.pk, by=council.secretariat, upload=pdf())
    assert refused.value.code == "not_started"
    assert not MeetingMinutes.objects.exists()


def test_a_cancelled_meeting_has_no_minutes(council, convened, time_machine):
    schedule(council, convened)
    cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="台風",
                   base_version=1)  # fmt: skip
    time_machine.move_to(convened.ends_at, tick=False)
    with pytest.raises(MeetingRefused) as refused:
        upload_minutes(convened.circulation.pk, by=council.secretariat, upload=pdf())
    assert refused.value.code == "cancelled"


def test_a_member_cannot_upload_or_publish(council, held):
    with pytest.raises(MeetingRefused) as refused:
        upload_minutes(held.circulation.pk, by=council.members[0], upload=pdf())
    assert refused.value.code == "not_secretariat"
    minutes = upload_minutes(held.circulation.pk, by=council.secretariat, upload=pdf())
    with pytest.raises(MeetingRefused) as refused:
        publish_minutes(held.circulation.pk, by=council.chair, minutes_id=minutes.pk)
    assert refused.value.code == "not_secretariat"
    assert Meeting.objects.get().published_minutes is None


def test_a_new_version_replaces_the_old_one_until_publication_and_none_after(council, held):
    first = upload_minutes(held.circulation.pk, by=council.secretariat, upload=pdf("案.pdf"))
    second = upload_minutes(held.circulation.pk, by=council.secretariat, upload=pdf("確定.pdf"))
    assert (first.version, second.version) == (1, 2)
    # Publishing what the page showed before the second upload is refused: check it first.
    with pytest.raises(MeetingRefused, match="新しい会議録が登録されています"):
        publish_minutes(held.circulation.pk, by=council.secretariat, minutes_id=first.pk)
    publish_minutes(held.circulation.pk, by=council.secretariat, minutes_id=second.pk)
    assert Meeting.objects.get().published_minutes == second
    with pytest.raises(MeetingRefused, match="すでに公開されています") as refused:
        upload_minutes(held.circulation.pk, by=council.secretariat, upload=pdf("三.pdf"))
    assert refused.value.code == "published"
    with pytest.raises(MeetingRefused, match="すでに公開されています"):
        publish_minutes(held.circulation.pk, by=council.secretariat, minutes_id=second.pk)
    assert len(addresses(MINUTES)) == len(INVITED)  # told once


def test_publishing_without_minutes_is_refused(council, held):
    with pytest.raises(MeetingInvalid, match="公開する会議録が登録されていません"):
        publish_minutes(held.circulation.pk, by=council.secretariat, minutes_id=0)


def test_a_circulation_archived_by_hand_is_not_archived_twice(council, held):
    archive_circulation(held.circulation.pk, by=council.secretariat)
    minutes = upload_minutes(held.circulation.pk, by=council.secretariat, upload=pdf())
    publish_minutes(held.circulation.pk, by=council.secretariat, minutes_id=minutes.pk)
    assert AuditEntry.objects.filter(action="circulation.archived").count() == 1
    assert AuditEntry.objects.get(action="meeting.minutes.published").data["archived"] is False


def test_a_title_too_long_is_refused(council, held):
    with pytest.raises(MeetingInvalid) as refused:
        upload_minutes(held.circulation.pk, by=council.secretariat, upload=pdf(), title="録" * 201)
    assert refused.value.field == "title"


# --- Through the pages ----------------------------------------------------------------------


def test_a_refused_file_is_named_and_the_title_kept(council, held):
    sato = client_for(council.secretariat)
    url = reverse("meeting_minutes_upload", args=[held.circulation.pk])
    response = sato.post(url, {"file": upload("会議録.pdf", HTML), "title": "第46回 会議録"})
    html = response.content.decode()
    assert "「会議録.pdf」は受け付けられません" in html
    assert 'value="第46回 会議録"' in html
    response = sato.post(url, {"file": upload("setup.pdf", EXE), "title": "第46回 会議録"})
    assert "実行ファイル" in response.content.decode()
    assert not MeetingMinutes.objects.exists()


def test_an_accepted_file_is_kept_when_the_form_comes_back(council, held):
    sato = client_for(council.secretariat)
    url = reverse("meeting_minutes_upload", args=[held.circulation.pk])
    response = sato.post(url, {"file": upload("会議録.pdf", PDF_BYTES), "title": "録" * 201})
    html = response.content.decode()
    assert "受け付け済みのファイル: 会議録.pdf" in html
    token = re.search(r'name="stash" value="([^"]+)"', html)[1]
    response = sato.post(url, {"stash": token, "title": "第46回 会議録"})
    assert response.status_code == 302
    minutes = MeetingMinutes.objects.get()
    assert (minutes.title, minutes.original_name) == ("第46回 会議録", "会議録.pdf")
    assert minutes.file.read() == PDF_BYTES


def test_another_persons_kept_token_is_not_accepted(council, held):
    sato = client_for(council.secretariat)
    url = reverse("meeting_minutes_upload", args=[held.circulation.pk])
    html = sato.post(url, {"file": upload("会議録.pdf", PDF_BYTES), "title": "録" * 201}).content
    token = re.search(r'name="stash" value="([^"]+)"', html.decode())[1]
    from portal.models import Membership, Role

    other = council.other_secretariat
    Membership.objects.create(user=other, committee=council.committee, role=Role.SECRETARIAT,
                              term_start=held.decided_at.date() - dt.timedelta(days=1))  # fmt: skip
    response = client_for(other).post(url, {"stash": token, "title": "x"})
    assert "前回選んだファイルを確認できません" in response.content.decode()
    assert not MeetingMinutes.objects.exists()


def test_publishing_from_the_page_and_members_then_see_the_minutes(council, held):
    sato = client_for(council.secretariat)
    sato.post(reverse("meeting_minutes_upload", args=[held.circulation.pk]),
              {"file": upload("会議録.pdf", PDF_BYTES), "title": "第46回 会議録"})  # fmt: skip
    minutes = MeetingMinutes.objects.get()
    download = reverse("meeting_minutes_download", args=[held.circulation.pk, minutes.pk])
    tanaka = client_for(council.members[0])
    # Not published yet: for members the minutes do not exist.
    assert tanaka.get(download).status_code == 404
    assert download not in tanaka.get(
        reverse("meeting_detail", args=[held.circulation.pk])
    ).content.decode()  # fmt: skip
    page = sato.get(reverse("meeting_detail", args=[held.circulation.pk])).content.decode()
    assert "公開する" in page and f'name="minutes" value="{minutes.pk}"' in page
    assert sato.get(download).status_code == 200  # the secretariat checks it first

    response = sato.post(reverse("meeting_minutes_publish", args=[held.circulation.pk]),
                         {"minutes": str(minutes.pk)}, follow=True)  # fmt: skip
    assert "書面照会は完了になりました。" in response.content.decode()

    got = tanaka.get(download)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF_BYTES
    assert "filename*=UTF-8''%E4%BC%9A%E8%AD%B0%E9%8C%B2.pdf" in got["Content-Disposition"]
    assert got["X-Content-Type-Options"] == "nosniff"
    logged = AuditEntry.objects.get(action="meeting.minutes.downloaded", actor=council.members[0])
    assert logged.data["published"] is True
    for page_name in ("circulation_detail", "meeting_detail", "decision_record"):
        html = tanaka.get(reverse(page_name, args=[held.circulation.pk])).content.decode()
        assert download in html, page_name


def test_the_upload_page_says_why_before_the_meeting(client, council, convened):
    schedule(council, convened)
    client.force_login(council.secretariat)
    response = client.get(reverse("meeting_minutes_upload", args=[convened.circulation.pk]))
    assert response.status_code == 409
    assert "の後に登録できます。" in response.content.decode()
    assert 'type="file"' not in response.content.decode()
