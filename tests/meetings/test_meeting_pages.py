"""The meeting's pages as the secretariat, the chair, a member and people who may not see
them use them: the forms keep what was typed when something is wrong, the messages say what
to do (in Japanese, and in English for English readers), and nobody outside the council
learns that the meeting exists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from circulation.mail.meeting import CHANGED, INVITATION
from circulation.models import Meeting, OutboxMessage
from circulation.services.meetings import cancel_meeting
from portal.models import AuditEntry
from tests.meetings.helpers import (
    INVITED,
    NOTE,
    PLACE,
    WEB_URL,
    addresses,
    meeting_label,
    schedule,
)

pytestmark = pytest.mark.django_db


def form_data(scene, **changes: str) -> dict[str, str]:
    day = scene.starts_at.date().isoformat()
    data = {
        "date": day,
        "start_time": "14:00",
        "end_time": "16:00",
        "place": PLACE,
        "web_url": WEB_URL,
        "note": NOTE,
    }
    data.update(changes)
    return data


def signed_in(client, user):
    client.force_login(user)
    return client


# --- Scheduling -----------------------------------------------------------------------------


def test_the_secretariat_is_asked_to_schedule_on_the_decision_page_and_does(
    client, council, convened
):
    sato = signed_in(client, council.secretariat)
    decision_page = sato.get(reverse("circulation_decision", args=[convened.circulation.pk]))
    schedule_url = reverse("meeting_schedule", args=[convened.circulation.pk])
    assert schedule_url in decision_page.content.decode()
    assert "会議を設定する" in decision_page.content.decode()

    form = sato.get(schedule_url)
    assert form.status_code == 200
    assert 'name="web_url"' in form.content.decode()

    response = sato.post(schedule_url, form_data(convened))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meeting_detail", args=[convened.circulation.pk])
    assert meeting.starts_at == convened.starts_at and meeting.place == PLACE
    assert addresses(INVITATION) == INVITED
    page = sato.get(response["Location"]).content.decode()
    assert "会議を設定し、委員・会長・職務代理者・事務局に開催通知を送ります。" in page
    assert meeting_label(convened.starts_at, convened.ends_at) in page


def test_a_mistake_in_the_form_keeps_everything_typed(client, council, convened):
    sato = signed_in(client, council.secretariat)
    url = reverse("meeting_schedule", args=[convened.circulation.pk])
    response = sato.post(url, form_data(convened, end_time="13:00", note="持ち物: 前回の資料"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "終了時刻は開始時刻より後にしてください。" in html
    assert f'value="{PLACE}"' in html
    assert "持ち物: 前回の資料" in html
    assert 'value="13:00"' in html
    assert 'aria-invalid="true"' in html
    assert not Meeting.objects.exists()


def test_a_bad_url_is_refused_next_to_its_field_and_kept(client, council, convened):
    sato = signed_in(client, council.secretariat)
    url = reverse("meeting_schedule", args=[convened.circulation.pk])
    response = sato.post(url, form_data(convened, web_url="javascript:alert(1)", place=""))
    html = response.content.decode()
    assert "ウェブ会議のURLは https:// または http:// で始まるアドレスを入力してください。" in html
    assert 'value="javascript:alert(1)"' in html
    assert not Meeting.objects.exists()


def test_neither_place_nor_url_is_refused(client, council, convened):
    sato = signed_in(client, council.secretariat)
    url = reverse("meeting_schedule", args=[convened.circulation.pk])
    response = sato.post(url, form_data(convened, web_url="", place=""))
    message = "会場かウェブ会議のURLの、少なくとも一方を入力してください。"
    assert message in response.content.decode()


def test_the_form_speaks_english_to_english_readers(client, council, convened):
    council.secretariat.language = "en"
    council.secretariat.save()
    sato = signed_in(client, council.secretariat)
    client.cookies["django_language"] = "en"
    url = reverse("meeting_schedule", args=[convened.circulation.pk])
    response = sato.post(url, form_data(convened, end_time="13:00"))
    html = response.content.decode()
    assert "The end time must be after the start time." in html
    assert "Schedule the meeting" in html


def test_a_circulation_decided_not_to_convene_says_so_and_shows_no_form(
    client, council, not_convened
):
    sato = signed_in(client, council.secretariat)
    response = sato.get(reverse("meeting_schedule", args=[not_convened.circulation.pk]))
    html = response.content.decode()
    assert response.status_code == 409
    assert "「開催しない」と決定されたため、会議は設定できません。" in html
    assert 'name="date"' not in html
    response = sato.post(
        reverse("meeting_schedule", args=[not_convened.circulation.pk]), form_data(not_convened)
    )
    assert response.status_code == 409
    assert not Meeting.objects.exists()


def test_a_scheduled_meeting_sends_the_schedule_page_to_the_meeting(client, council, convened):
    schedule(council, convened)
    sato = signed_in(client, council.secretariat)
    response = sato.get(reverse("meeting_schedule", args=[convened.circulation.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("meeting_detail", args=[convened.circulation.pk])


def test_a_member_may_not_schedule(client, council, convened):
    tanaka = signed_in(client, council.members[0])
    url = reverse("meeting_schedule", args=[convened.circulation.pk])
    assert tanaka.get(url).status_code == 403
    assert tanaka.post(url, form_data(convened)).status_code == 403
    assert not Meeting.objects.exists()
    assert AuditEntry.objects.filter(action="access.refused", actor=council.members[0]).exists()


def test_another_councils_meeting_does_not_exist_for_its_secretariat(client, council, convened):
    schedule(council, convened)
    nakamura = signed_in(client, council.other_secretariat)
    for name in ("meeting_detail", "meeting_change", "meeting_cancel", "meeting_ics",
                 "meeting_schedule", "meeting_minutes_upload"):  # fmt: skip
        assert nakamura.get(reverse(name, args=[convened.circulation.pk])).status_code == 404
    response = nakamura.post(
        reverse("meeting_change", args=[convened.circulation.pk]), form_data(convened)
    )
    assert response.status_code == 404
    assert Meeting.objects.get().version == 1


def test_an_outsider_sees_nothing(client, council, convened):
    schedule(council, convened)
    kobayashi = signed_in(client, council.outsider)
    assert kobayashi.get(reverse("meeting_detail", args=[convened.circulation.pk])).status_code \
        == 404  # fmt: skip
    assert "会議" not in kobayashi.get(reverse("home")).content.decode().split("<main")[1]


# --- What members see -----------------------------------------------------------------------


def test_a_member_sees_the_meeting_on_the_circulation_page_the_home_page_and_its_own_page(
    client, council, convened
):
    schedule(council, convened)
    tanaka = signed_in(client, council.members[0])
    when = meeting_label(convened.starts_at, convened.ends_at)
    detail_url = reverse("meeting_detail", args=[convened.circulation.pk])
    ics_url = reverse("meeting_ics", args=[convened.circulation.pk])

    circulation_page = tanaka.get(reverse("circulation_detail", args=[convened.circulation.pk]))
    html = circulation_page.content.decode()
    assert when in html and PLACE in html and detail_url in html
    assert reverse("meeting_change", args=[convened.circulation.pk]) not in html

    home = tanaka.get(reverse("home")).content.decode()
    assert "今後の会議" in home and when in home and ics_url in home

    page = tanaka.get(detail_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert when in html and PLACE in html and f'href="{WEB_URL}"' in html
    assert "<li>筆記用具をお持ちください</li>" in html  # the note is markdown
    assert ics_url in html
    assert "会議を変更する" not in html and "公開する" not in html
    assert AuditEntry.objects.filter(
        action="circulation.viewed", actor=council.members[0], data__page="meeting"
    ).exists()


def test_the_note_is_sanitised(client, council, convened):
    schedule(council, convened, note="<script>alert(1)</script>[x](javascript:alert(2)) **太字**")
    tanaka = signed_in(client, council.members[0])
    html = tanaka.get(reverse("meeting_detail", args=[convened.circulation.pk])).content.decode()
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html
    assert "<strong>太字</strong>" in html


def test_the_calendar_file_is_for_those_who_may_see_the_meeting(client, council, convened):
    schedule(council, convened)
    tanaka = signed_in(client, council.members[0])
    response = tanaka.get(reverse("meeting_ics", args=[convened.circulation.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "method=REQUEST" in response["Content-Type"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"BEGIN:VCALENDAR" in response.content
    client.logout()
    anonymous = client.get(reverse("meeting_ics", args=[convened.circulation.pk]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_cancelled_meeting_stays_on_the_home_page_marked_cancelled(client, council, convened):
    schedule(council, convened)
    cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="台風の接近のため",
                   base_version=1)  # fmt: skip
    tanaka = signed_in(client, council.members[0])
    home = tanaka.get(reverse("home")).content.decode()
    assert "中止" in home
    page = tanaka.get(reverse("meeting_detail", args=[convened.circulation.pk])).content.decode()
    assert "この会議は中止されました。" in page and "台風の接近のため" in page


def test_past_meetings_leave_the_home_page(client, council, convened, time_machine):
    schedule(council, convened)
    time_machine.move_to(convened.ends_at + dt.timedelta(minutes=1), tick=False)
    tanaka = signed_in(client, council.members[0])
    assert "今後の会議" not in tanaka.get(reverse("home")).content.decode()


# --- Change and cancel ----------------------------------------------------------------------


def test_the_secretariat_changes_the_meeting_from_its_page(client, council, convened):
    schedule(council, convened)
    sato = signed_in(client, council.secretariat)
    page = sato.get(reverse("meeting_detail", args=[convened.circulation.pk])).content.decode()
    change_url = reverse("meeting_change", args=[convened.circulation.pk])
    assert change_url in page
    form = sato.get(change_url).content.decode()
    assert f'value="{PLACE}"' in form and 'name="version" value="1"' in form
    response = sato.post(
        change_url,
        {**form_data(convened, place="市役所別館 大会議室"), "version": "1", "reason": "改修"},
    )
    assert response.status_code == 302
    assert Meeting.objects.get().place == "市役所別館 大会議室"
    assert addresses(CHANGED) == INVITED


def test_a_change_meanwhile_comes_back_with_what_was_typed(client, council, convened):
    schedule(council, convened)
    sato = signed_in(client, council.secretariat)
    change_url = reverse("meeting_change", args=[convened.circulation.pk])
    sato.post(change_url, {**form_data(convened, place="第2会議室"), "version": "1"})
    response = sato.post(change_url, {**form_data(convened, place="第3会議室"), "version": "1"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "別の人によって変更されています" in html
    assert 'value="第3会議室"' in html
    assert Meeting.objects.get().place == "第2会議室"


def test_cancelling_asks_for_a_reason_and_keeps_it(client, council, convened):
    schedule(council, convened)
    sato = signed_in(client, council.secretariat)
    url = reverse("meeting_cancel", args=[convened.circulation.pk])
    empty = sato.post(url, {"reason": "", "version": "1"})
    assert "中止の理由を入力してください。" in empty.content.decode()
    assert Meeting.objects.get().state == Meeting.State.SCHEDULED
    response = sato.post(url, {"reason": "台風の接近のため", "version": "1"})
    assert response.status_code == 302
    assert Meeting.objects.get().state == Meeting.State.CANCELLED


def test_a_started_meeting_offers_no_change(client, council, convened, time_machine):
    schedule(council, convened)
    time_machine.move_to(convened.starts_at + dt.timedelta(minutes=5), tick=False)
    sato = signed_in(client, council.secretariat)
    response = sato.get(reverse("meeting_change", args=[convened.circulation.pk]))
    assert response.status_code == 409
    assert "を過ぎた会議は変更できません。" in response.content.decode()
    page = sato.get(reverse("meeting_detail", args=[convened.circulation.pk])).content.decode()
    assert reverse("meeting_change", args=[convened.circulation.pk]) not in page
    assert reverse("meeting_minutes_upload", args=[convened.circulation.pk]) in page


def test_an_english_reader_sees_no_japanese_but_what_people_typed(client, council, convened):
    """Every label of the meeting page, the home page's meeting and the invitation is in
    the catalogue: with English texts typed, no Japanese is left."""
    from tests.i18n.test_catalogue import JAPANESE, visible_chrome

    council.committee.name = "Resident Registry Council"
    council.committee.save()
    convened.circulation.title = "Audit report 2026"
    convened.circulation.save()
    for person in (council.members[0], council.secretariat):
        person.full_name, person.language = "Tanaka Hanako", "en"
        person.save()
    client.cookies["django_language"] = "en"
    client.force_login(council.secretariat)
    html = client.get(reverse("meeting_schedule", args=[convened.circulation.pk])).content
    assert JAPANESE.findall(visible_chrome(html.decode())) == []
    schedule(council, convened, place="City Hall, room 501", note="Bring the **report**.")
    for person, pages in (
        (council.members[0], ("meeting_detail",)),
        (council.secretariat, ("meeting_detail", "meeting_change", "meeting_cancel")),
    ):  # fmt: skip
        client.force_login(person)
        for name in pages:
            html = client.get(reverse(name, args=[convened.circulation.pk])).content.decode()
            assert JAPANESE.findall(visible_chrome(html)) == [], name
        home = client.get(reverse("home")).content.decode()
        assert "Upcoming meetings" in home
        assert JAPANESE.findall(visible_chrome(home)) == []
    mail = OutboxMessage.objects.get(purpose=INVITATION, to_email="tanaka@example.jp")
    for part in (mail.subject, mail.body_text, visible_chrome(mail.body_html)):
        assert JAPANESE.findall(part) == [], part


def test_the_secretariats_circulation_pages_link_to_change_cancel_and_the_minutes(
    client, council, convened, time_machine
):
    schedule(council, convened)
    pk = convened.circulation.pk
    change, cancel = reverse("meeting_change", args=[pk]), reverse("meeting_cancel", args=[pk])
    upload = reverse("meeting_minutes_upload", args=[pk])
    sato = signed_in(client, council.secretariat)
    for name in ("circulation_decision", "circulation_detail"):
        html = sato.get(reverse(name, args=[pk])).content.decode()
        assert change in html and cancel in html and upload not in html, name
    tracking = sato.get(reverse("circulation_tracking", args=[pk])).content.decode()
    assert reverse("circulation_decision", args=[pk]) in tracking  # 開催の要否と会議
    time_machine.move_to(convened.starts_at + dt.timedelta(hours=2), tick=False)
    sato = signed_in(client, council.secretariat)  # a new session: the old one went idle
    html = sato.get(reverse("circulation_decision", args=[pk])).content.decode()
    assert upload in html and change not in html
    tanaka = signed_in(client, council.members[0])
    html = tanaka.get(reverse("circulation_detail", args=[pk])).content.decode()
    assert upload not in html and change not in html
