"""Attendance in a real browser on a phone (390×844): 田中 opens the 「出席」 link of the
invitation without being signed in, confirms on the page that opens, then signs in and
changes the answer to ウェブ参加 on the session page. Every page passes axe and the
explicit checks."""

from __future__ import annotations

import datetime as dt
import re

from circulation.mail.meeting import INVITATION
from circulation.models import Attendance, Meeting
from circulation.models.heartbeat import record_heartbeat
from tests.browser.a11y import assert_errors_tied_to_fields, check_page
from tests.browser.helpers import login
from tests.sessions.helpers import Moments, mails, schedule_first


def test_a_member_answers_by_link_and_changes_it_on_the_phone(new_page, council, time_machine):
    moments = Moments()
    time_machine.move_to(moments.scheduled_at, tick=True)
    record_heartbeat("due_work")
    session = schedule_first(council, moments)
    text = mails(INVITATION, to_email="tanaka@example.jp")[0].body_text
    url = re.search(r"^出席: (\S+)$", text, re.MULTILINE).group(1)
    path = re.sub(r"^https?://[^/]+", "", url)

    phone = new_page("phone")
    phone.goto(path)
    phone.get_by_role("heading", name="「出席」と回答します").wait_for()
    check_page(phone)
    tanaka = council.members[0]
    assert Attendance.objects.get(meeting=session, user=tanaka).answer == ""
    phone.get_by_role("button", name="「出席」と回答する").click()
    phone.get_by_role("heading", name="出欠の回答を受け付けました").wait_for()
    check_page(phone)
    assert Attendance.objects.get(meeting=session, user=tanaka).answer == "attend"

    login(phone, tanaka.email)
    phone.goto(f"/c/sessions/{session.pk}/")
    phone.get_by_role("heading", name="あなたの出欠").wait_for()
    check_page(phone)
    phone.get_by_label("ウェブ参加").check()
    phone.get_by_role("button", name="回答する").click()
    phone.wait_for_load_state()
    assert "出欠の回答を受け付けました" in phone.content()
    assert Attendance.objects.get(meeting=session, user=tanaka).answer == "web"


def test_the_secretariats_session_pages_pass_the_checks(new_page, council, time_machine):
    """佐藤 on a desktop: the schedule form with a slip tied to its field, the session
    page with the attendance list and the quorum, the agenda, and on the day the record
    and the election. Every page passes axe and the explicit checks."""
    from circulation.services.attendance import answer_attendance

    moments = Moments()
    time_machine.move_to(moments.scheduled_at, tick=True)
    record_heartbeat("due_work")
    desk = new_page("desktop")
    login(desk, council.secretariat.email)
    desk.goto(f"/c/councils/{council.committee.pk}/sessions/new/")
    check_page(desk)
    desk.get_by_label(re.compile(r"^\s*開催日")).fill(moments.starts_at.date().isoformat())
    desk.get_by_label(re.compile(r"^\s*開始時刻")).fill("14:00")
    desk.get_by_label(re.compile(r"^\s*終了時刻")).fill("13:00")
    desk.get_by_label(re.compile(r"^\s*会場")).fill("第1会議室")
    desk.get_by_label(re.compile(r"^\s*議題")).fill("委員紹介\n会長選任")
    desk.get_by_role("button", name="会議を設定する").click()
    desk.wait_for_load_state()
    assert_errors_tied_to_fields(desk)
    desk.get_by_label(re.compile(r"^\s*終了時刻")).fill("16:00")
    desk.get_by_role("button", name="会議を設定する").click()
    desk.get_by_role("heading", name="出欠と定足数").wait_for()
    check_page(desk)
    session = Meeting.objects.get()
    answer_attendance(session.pk, by=council.chair, answer="attend")
    desk.goto(f"/c/sessions/{session.pk}/agenda/")
    check_page(desk)
    time_machine.move_to(session.starts_at + dt.timedelta(minutes=10), tick=True)
    record_heartbeat("due_work")
    login(desk, council.secretariat.email)
    for path in ("attendance/", "election/", ""):
        desk.goto(f"/c/sessions/{session.pk}/{path}")
        check_page(desk)
