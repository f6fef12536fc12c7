"""The meeting's mail as a member reads it, in Japan time with the weekday, in the reader's
language, and the calendar file (.ics) as a calendar program reads it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from circulation.mail.ical import meeting_calendar, meeting_uid
from circulation.mail.meeting import CANCELLED, CHANGED, INVITATION
from circulation.models import OutboxMessage
from circulation.services.meetings import cancel_meeting, change_meeting
from tests.meetings.helpers import NOTE, PLACE, WEB_URL, details, mails, meeting_label, schedule

pytestmark = pytest.mark.django_db


def mail_to(address: str, purpose: str) -> OutboxMessage:
    return OutboxMessage.objects.get(to_email=address, purpose=purpose)


def test_the_invitation_says_what_when_where_and_links_the_meeting(council, convened):
    schedule(council, convened)
    mail = mail_to("tanaka@example.jp", INVITATION)
    when = meeting_label(convened.starts_at, convened.ends_at)  # 2026年12月10日(木) 14:00〜16:00
    assert "(木) 14:00〜16:00" in when
    assert mail.subject == f"【会議の開催通知】{convened.circulation.title}: {when}"
    text = mail.body_text
    assert text.startswith("田中 委員 様")
    assert council.committee.name in text and convened.circulation.title in text
    assert f"開催日時: {when}" in text
    assert f"会場: {PLACE}" in text
    assert f"ウェブ会議: {WEB_URL}" in text
    assert NOTE in text
    page = f"/c/{convened.circulation.pk}/meeting/"
    assert f"http://127.0.0.1:8000{page}" in text or page in text
    assert f"{page}meeting.ics" in text
    assert when in mail.body_html and f'href="{WEB_URL}"'.replace("&", "&amp;") in mail.body_html
    assert mail.circulation == convened.circulation and mail.key == "v1"


def test_the_invitation_is_in_english_for_an_english_reader(council, convened):
    tanaka = council.members[0]
    tanaka.language = "en"
    tanaka.save()
    schedule(council, convened)
    mail = mail_to("tanaka@example.jp", INVITATION)
    starts = convened.starts_at
    assert mail.subject.startswith("[Meeting notice]")
    assert f"Thu {starts.day} " in mail.subject and "14:00–16:00 JST" in mail.subject
    assert "Dear 田中 委員" in mail.body_text
    assert "Venue: " + PLACE in mail.body_text


def test_the_notice_of_change_shows_old_and_new(council, convened):
    schedule(council, convened)
    later = convened.starts_at + dt.timedelta(days=1)
    change_meeting(
        convened.circulation.pk, by=council.secretariat, base_version=1, reason="会場の改修のため",
        details=details(convened, starts_at=later, ends_at=later + dt.timedelta(hours=2),
                        place="市役所別館 2階 大会議室"),
    )  # fmt: skip
    mail = mail_to("ito@example.jp", CHANGED)
    old = meeting_label(convened.starts_at, convened.ends_at)
    new = meeting_label(later, later + dt.timedelta(hours=2))
    assert mail.subject.startswith("【会議の変更】") and new in mail.subject
    assert f"開催日時: {old} → {new}" in mail.body_text
    assert f"会場: {PLACE} → 市役所別館 2階 大会議室" in mail.body_text
    assert "ウェブ会議:" not in mail.body_text.split("変更の理由")[0].split("変更点")[1]
    assert "会場の改修のため" in mail.body_text
    assert mail.key == "v2"
    assert f"<s>{old}</s>" in mail.body_html


def test_the_cancellation_gives_the_reason(council, convened):
    schedule(council, convened)
    cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="台風の接近のため",
                   base_version=1)  # fmt: skip
    mail = mail_to("takahashi@example.jp", CANCELLED)
    when = meeting_label(convened.starts_at, convened.ends_at)
    assert mail.subject == f"【会議の中止】{convened.circulation.title}: {when}"
    assert "中止となりました" in mail.body_text and "台風の接近のため" in mail.body_text
    assert mail.key == "v2"


def test_one_notice_per_person_per_version_and_the_unique_key_holds(council, convened):
    schedule(council, convened)
    change_meeting(convened.circulation.pk, by=council.secretariat, base_version=1,
                   details=details(convened, place="第2会議室"))  # fmt: skip
    per_person = {}
    for mail in mails(INVITATION) + mails(CHANGED):
        per_person.setdefault(mail.to_email, []).append((mail.purpose, mail.key))
    assert all(sent == [(INVITATION, "v1"), (CHANGED, "v2")] for sent in per_person.values())
    assert len(per_person) == 6
    # The database itself refuses a second notice of the same version to the same person.
    row = mail_to("tanaka@example.jp", CHANGED)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(
            purpose=CHANGED, to_email=row.to_email, circulation=row.circulation,
            deadline_version=row.deadline_version, key=row.key, subject="dup", body_text="dup",
        )  # fmt: skip


# --- The calendar file ----------------------------------------------------------------------


def event_of(data: bytes):
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_the_calendar_file_has_a_stable_uid_and_the_times_in_utc(council, convened):
    meeting = schedule(council, convened)
    calendar, event = event_of(meeting_calendar(meeting, attendee=council.members[0]))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == meeting_uid(meeting)
    assert str(event["UID"]).startswith(f"meeting-{meeting.uid}@")
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == convened.starts_at
    assert event.decoded("DTEND") == convened.ends_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)  # written in UTC
    assert b"DTSTART:" in meeting_calendar(meeting) and b"Z\r\n" in meeting_calendar(meeting)
    assert str(event["LOCATION"]) == PLACE
    assert str(event["URL"]) == WEB_URL
    assert str(event["STATUS"]) == "CONFIRMED"
    assert convened.circulation.title in str(event["SUMMARY"])
    assert str(event["ATTENDEE"]) == "mailto:tanaka@example.jp"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"
    assert str(event["ORGANIZER"]).startswith("mailto:")


def test_each_change_bumps_the_sequence_and_keeps_the_uid(council, convened):
    meeting = schedule(council, convened)
    uid = str(event_of(meeting_calendar(meeting))[1]["UID"])
    later = convened.starts_at + dt.timedelta(days=2)
    changed = change_meeting(
        convened.circulation.pk, by=council.secretariat, base_version=1,
        details=details(convened, starts_at=later, ends_at=later + dt.timedelta(hours=1)),
    )  # fmt: skip
    _calendar, event = event_of(meeting_calendar(changed))
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == later
    cancelled = cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="台風",
                               base_version=2)  # fmt: skip
    calendar, event = event_of(meeting_calendar(cancelled))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 2)


def test_the_downloaded_file_names_the_person_who_downloads_it(council, convened):
    schedule(council, convened)
    client = Client()
    client.force_login(council.chair)
    response = client.get(reverse("meeting_ics", args=[convened.circulation.pk]))
    _calendar, event = event_of(response.content)
    assert str(event["ATTENDEE"]) == "mailto:yamada@example.jp"
    assert event["ATTENDEE"].params["CN"] == "山田 会長"
