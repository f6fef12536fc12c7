"""The secretariat's pages: scheduling a session from the council's list (a mistake comes
back with everything typed), editing the agenda with links to the council's circulations,
adding a material (資料1, with its type and size)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from circulation.models import AgendaItem, Meeting, SessionMaterial
from tests.circulation.helpers import PDF_BYTES
from tests.decision.helpers import JST, open_scene
from tests.sessions.helpers import PLACE, TITLE

pytestmark = pytest.mark.django_db


def form(moments, **changes: str) -> dict[str, str]:
    day = moments.starts_at.astimezone(JST).date().isoformat()
    return {"number": "1", "title": TITLE, "date": day, "start_time": "14:00",
            "end_time": "16:00", "place": PLACE, "web_url": "", "note": "",
            "agenda": "委員紹介\n会長選任\n\nその他", **changes}  # fmt: skip


def test_the_secretariat_schedules_from_the_councils_list(client, council, moments):
    client.force_login(council.secretariat)
    listing = client.get(reverse("session_list", args=[council.committee.pk])).content.decode()
    assert reverse("session_schedule", args=[council.committee.pk]) in listing
    url = reverse("session_schedule", args=[council.committee.pk])
    slip = client.post(url, form(moments, end_time="13:00"))
    assert slip.status_code == 200
    page = slip.content.decode()
    assert "終了時刻は開始時刻より後にしてください。" in page
    assert PLACE in page and "会長選任" in page and TITLE in page  # nothing typed is lost
    assert not Meeting.objects.exists()
    done = client.post(url, form(moments))
    meeting = Meeting.objects.get()
    assert done["Location"] == reverse("session_detail", args=[meeting.pk])
    assert (meeting.number, meeting.title, meeting.place) == (1, TITLE, PLACE)
    assert list(meeting.agenda_items.values_list("text", flat=True)) == [
        "委員紹介", "会長選任", "その他"
    ]  # fmt: skip
    listing = client.get(reverse("session_list", args=[council.committee.pk])).content.decode()
    assert f"第1回 {TITLE}" in listing and "出欠の回答: 0 / 5人" in listing


def test_the_agenda_page_links_an_item_to_a_circulation(client, council, session):
    circulation = open_scene(council).circulation
    client.force_login(council.secretariat)
    url = reverse("session_agenda", args=[session.pk])
    page = client.get(url).content.decode()
    assert f'value="c{circulation.pk}"' in page and 'value="委員紹介"' in page
    response = client.post(url, {"text_1": "委員紹介", "link_1": "", "text_2": "",
                                 "link_2": f"c{circulation.pk}", "text_3": ""})  # fmt: skip
    assert response.status_code == 302
    items = list(AgendaItem.objects.filter(meeting=session).values_list("text", "circulation"))
    assert items == [("委員紹介", None), (circulation.title, circulation.pk)]
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert reverse("circulation_detail", args=[circulation.pk]) in page


def test_a_material_is_listed_as_shiryou_1_with_type_and_size(client, council, session):
    client.force_login(council.secretariat)
    url = reverse("session_material_add", args=[session.pk])
    upload = SimpleUploadedFile("次第.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(url, {"file": upload, "title": "会議次第"})
    assert response.status_code == 302
    material = SessionMaterial.objects.get()
    assert (material.position, material.title, material.original_name) == (
        1,
        "会議次第",
        "次第.pdf",
    )
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "資料1 会議次第" in page and "PDF" in page
    bad = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(url, {"file": bad, "title": "偽の資料"})
    assert refused.status_code == 200 and "偽の資料" in refused.content.decode()
    assert SessionMaterial.objects.count() == 1


def test_the_council_page_links_its_sessions_for_those_who_see_them(client, council):
    from tests.factories import MembershipFactory, UserFactory

    url = reverse("committee_detail", args=[council.committee.pk])
    sessions = reverse("session_list", args=[council.committee.pk])
    schedule = reverse("session_schedule", args=[council.committee.pk])
    client.force_login(council.secretariat)
    page = client.get(url).content.decode()
    assert sessions in page and schedule in page
    client.force_login(council.members[0])
    page = client.get(url).content.decode()
    assert sessions in page and schedule not in page
    body = UserFactory(email="kimura@city.example.jp", full_name="木村 実施機関")
    MembershipFactory(user=body, committee=council.committee, role="implementing_body")
    client.force_login(body)
    assert sessions not in client.get(url).content.decode()
