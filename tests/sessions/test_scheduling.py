"""The secretariat schedules a session on its own (第1回, with an agenda), invites the
council with the calendar file attached, and cancels it; a circulation's meeting keeps
working as before and gains attendance too."""

from __future__ import annotations

import datetime as dt
import email

import pytest
from django.core import mail as django_mail
from django.urls import reverse
from icalendar import Calendar

from circulation.mail.composing import build_email
from circulation.mail.delivery import deliver
from circulation.mail.meeting import CANCELLED, INVITATION
from circulation.models import AgendaItem, Attendance, Meeting
from circulation.services.meetings import MeetingInvalid, MeetingRefused, cancel_meeting
from circulation.services.sessions import AgendaLine, schedule_session, set_agenda
from portal.models import AuditEntry
from tests.decision.helpers import open_scene
from tests.factories import CirculationFactory
from tests.meetings.helpers import convened_scene, schedule
from tests.sessions.helpers import AGENDA, ANSWERING, INVITED, TITLE, addresses, details, mails

pytestmark = pytest.mark.django_db


def calendar_part(message) -> tuple[str, Calendar]:
    """The .ics attached to the message as it goes on the wire: the METHOD its content
    type names, and the calendar."""
    return calendar_of(build_email(message).message().as_bytes())


def calendar_of(raw: bytes) -> tuple[str, Calendar]:
    parsed = email.message_from_bytes(raw)
    parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    assert part.get_filename() == "meeting.ics"
    assert part.get("Content-Disposition", "").startswith("attachment")
    return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))


def test_a_first_session_is_scheduled_on_its_own_with_its_agenda(council, moments):
    meeting = schedule_session(
        council.committee.pk, by=council.secretariat, details=details(moments), number=1,
        title=TITLE, agenda=[AgendaLine(t) for t in AGENDA] + [AgendaLine("  ")],
    )  # fmt: skip
    assert meeting.circulation is None and meeting.committee == council.committee
    assert meeting.label == f"第1回 {TITLE}"
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position"))
    assert [(i.position, i.text) for i in items] == list(enumerate(AGENDA, start=1))
    # Everyone who sits today and the secretariat are invited; only those who sit answer.
    assert addresses(INVITATION) == INVITED
    answering = Attendance.objects.filter(meeting=meeting).values_list("user__email", flat=True)
    assert sorted(answering) == ANSWERING
    assert set(Attendance.objects.values_list("answer", flat=True)) == {""}
    entry = AuditEntry.objects.get(action="meeting.scheduled")
    assert entry.committee == council.committee and entry.actor == council.secretariat
    assert entry.data["agenda"] == AGENDA


def test_the_invitation_names_the_session_lists_the_agenda_and_carries_links_and_ics(
    council, session
):
    tanaka = mails(INVITATION, to_email="tanaka@example.jp")[0]
    assert tanaka.subject.startswith(f"【会議の開催通知】第1回 {TITLE}: ")
    assert "議題1 委員紹介" in tanaka.body_text and "議題4 その他" in tanaka.body_text
    assert "出席: http" in tanaka.body_text and "欠席: http" in tanaka.body_text
    assert reverse("session_detail", args=[session.pk]) in tanaka.body_text
    # The secretariat is invited but does not answer: no attendance links.
    sato = mails(INVITATION, to_email="sato@city.example.jp")[0]
    assert "出席: http" not in sato.body_text
    method, calendar = calendar_part(tanaka)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event["DTSTART"].dt == session.starts_at
    assert str(event["SEQUENCE"]) == "0"
    assert "tanaka@example.jp" in str(event["ATTENDEE"])
    assert TITLE in str(event["SUMMARY"])


def test_cancelling_sends_the_cancellation_with_a_cancel_calendar_file(council, session):
    cancel_meeting(None, meeting_id=session.pk, by=council.secretariat,
                   reason="委員の過半数が出席できないため", base_version=1)  # fmt: skip
    assert addresses(CANCELLED) == INVITED
    tanaka = mails(CANCELLED, to_email="tanaka@example.jp")[0]
    assert "【会議の中止】第1回" in tanaka.subject
    assert "委員の過半数が出席できないため" in tanaka.body_text
    method, calendar = calendar_part(tanaka)
    assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
    event = calendar.walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED" and str(event["SEQUENCE"]) == "1"
    assert (
        event["UID"]
        == calendar_part(mails(INVITATION, to_email="tanaka@example.jp")[0])[1].walk("VEVENT")[0][
            "UID"
        ]
    )
    assert AuditEntry.objects.get(action="meeting.cancelled").committee == council.committee


def test_a_delivered_invitation_reaches_the_wire_with_the_attachment(council, session):
    deliver(mails(INVITATION, to_email="ito@example.jp")[0].pk)
    sent = django_mail.outbox[-1]
    assert sent.to == ["ito@example.jp"]
    method, calendar = calendar_of(sent.message().as_bytes())
    assert method == "REQUEST" and calendar.walk("VEVENT")[0]["UID"]


def test_agenda_items_link_circulations_of_the_same_council_only(council, session):
    own = open_scene(council).circulation
    lines = [AgendaLine("", circulation_id=own.pk), AgendaLine("その他")]
    items = set_agenda(session.pk, by=council.secretariat, agenda=lines)
    assert [(i.position, i.text, i.circulation_id) for i in items] == [
        (1, own.title, own.pk), (2, "その他", None)
    ]  # fmt: skip
    elsewhere = CirculationFactory(
        committee=council.other_committee, created_by=council.other_secretariat, state="open"
    )
    with pytest.raises(MeetingInvalid, match="書面照会が見つかりません"):
        set_agenda(session.pk, by=council.secretariat,
                   agenda=[AgendaLine("x", circulation_id=elsewhere.pk)])  # fmt: skip
    assert AgendaItem.objects.filter(meeting=session).count() == 2


def test_a_member_may_not_schedule_or_change_the_agenda(council, session, moments):
    with pytest.raises(MeetingRefused) as refused:
        schedule_session(council.committee.pk, by=council.chair, details=details(moments))
    assert refused.value.code == "not_secretariat"
    with pytest.raises(MeetingRefused):
        set_agenda(session.pk, by=council.members[0], agenda=[AgendaLine("x")])
    assert Meeting.objects.count() == 1
    assert AuditEntry.objects.filter(action="meeting.refused", actor=council.chair).exists()


def test_a_circulations_meeting_keeps_working_and_asks_for_attendance(council, time_machine):
    scene = convened_scene(council)
    time_machine.move_to(scene.decided_at + dt.timedelta(hours=1), tick=False)
    meeting = schedule(council, scene)
    assert meeting.committee == council.committee and meeting.circulation == scene.circulation
    invitation = mails(INVITATION, to_email="tanaka@example.jp")[0]
    assert invitation.key == "v1" and invitation.circulation == scene.circulation
    assert "出席: http" in invitation.body_text
    assert calendar_part(invitation)[1]["METHOD"] == "REQUEST"
    assert Attendance.objects.filter(meeting=meeting).count() == 5  # the recipients who sit


def test_a_change_of_a_session_tells_everyone_with_the_new_calendar_file(council, session, moments):
    from circulation.mail.meeting import CHANGED
    from circulation.services.attendance import answer_attendance
    from circulation.services.meetings import change_meeting

    answer_attendance(session.pk, by=council.chair, answer="attend")
    later = details(moments, starts_at=moments.starts_at + dt.timedelta(hours=1),
                    ends_at=moments.ends_at + dt.timedelta(hours=1))  # fmt: skip
    change_meeting(None, meeting_id=session.pk, by=council.secretariat, details=later,
                   base_version=1, reason="会場の都合")  # fmt: skip
    assert addresses(CHANGED) == INVITED
    tanaka = mails(CHANGED, to_email="tanaka@example.jp")[0]
    assert tanaka.subject.startswith("【会議の変更】第1回") and tanaka.key == f"s{session.pk}-v2"
    assert "会場の都合" in tanaka.body_text
    method, calendar = calendar_part(tanaka)
    assert method == "REQUEST" and str(calendar.walk("VEVENT")[0]["SEQUENCE"]) == "1"
    # Answers given stand; the secretariat sees them still.
    assert Attendance.objects.get(meeting=session, user=council.chair).answer == "attend"
    with pytest.raises(MeetingRefused) as stale:
        change_meeting(None, meeting_id=session.pk, by=council.secretariat, details=later,
                       base_version=1)  # fmt: skip
    assert stale.value.code == "conflict"
