"""The meeting (会議) in a real browser: 佐藤 (secretariat, desktop) schedules it from the
decision page, a mistake comes back tied to its field with the input kept; 田中 (member,
phone) finds it on the home page and opens its page. Every page passes axe and the explicit
checks."""

from __future__ import annotations

import datetime as dt
import re

from circulation.models import Meeting
from circulation.models.heartbeat import record_heartbeat
from tests.browser.a11y import assert_errors_tied_to_fields, check_page
from tests.browser.helpers import login
from tests.meetings.helpers import PLACE, WEB_URL, convened_scene


def label(page, text: str):
    """A field by its label, allowing the required mark."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(text)}\s*(\(必須\))?\s*$"))


def test_the_secretariat_schedules_the_meeting_and_a_member_finds_it(
    new_page, council, time_machine
):
    scene = convened_scene(council)
    time_machine.move_to(scene.decided_at + dt.timedelta(hours=1), tick=True)
    record_heartbeat("due_work")  # beat is running: no warning on the secretariat's pages
    circulation = scene.circulation

    desk = new_page("desktop")
    login(desk, council.secretariat.email)
    desk.goto(f"/c/{circulation.pk}/decision/")
    desk.get_by_role("link", name="会議を設定する").click()
    desk.wait_for_load_state()
    assert desk.get_by_role("heading", level=1).inner_text().startswith("会議を設定する")
    check_page(desk)

    label(desk, "開催日").fill(scene.starts_at.date().isoformat())
    label(desk, "開始時刻").fill("14:00")
    label(desk, "終了時刻").fill("13:00")  # a slip: before the start
    label(desk, "会場").fill(PLACE)
    label(desk, "ウェブ会議のURL").fill(WEB_URL)
    desk.get_by_role("button", name="会議を設定する").click()
    desk.wait_for_load_state()
    assert "終了時刻は開始時刻より後にしてください。" in desk.content()
    assert_errors_tied_to_fields(desk)
    assert label(desk, "会場").input_value() == PLACE  # nothing typed is lost
    assert not Meeting.objects.exists()

    label(desk, "終了時刻").fill("16:00")
    desk.get_by_role("button", name="会議を設定する").click()
    desk.wait_for_load_state()
    assert "開催通知を送ります" in desk.content()
    assert Meeting.objects.get().place == PLACE
    check_page(desk)

    phone = new_page("phone")
    login(phone, council.members[0].email)
    phone.get_by_role("heading", name="今後の会議").wait_for()
    # やること asks for the attendance answer first (the session page); 今後の会議 links
    # the meeting's own page.
    upcoming = phone.get_by_role("region", name="今後の会議")
    upcoming.get_by_role("link", name=circulation.title, exact=True).click()
    phone.wait_for_load_state()
    assert phone.url.endswith(f"/c/{circulation.pk}/meeting/")
    assert PLACE in phone.content()
    phone.get_by_role("link", name="カレンダーに追加(.ics ファイル)").wait_for()
    check_page(phone)
