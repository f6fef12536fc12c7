"""Attendance in a real browser on a phone (390×844): 田中 opens the 「出席」 link of the
invitation without being signed in, confirms on the page that opens, then signs in and
changes the answer to ウェブ参加 on the session page. Every page passes axe and the
explicit checks."""

from __future__ import annotations

import datetime as dt
import re

from circulation.mail.meeting import INVITATION
from circulation.models import Attendance
from circulation.models.heartbeat import record_heartbeat
from tests.browser.a11y import check_page
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
    assert session.starts_at > moments.scheduled_at + dt.timedelta(days=1)
