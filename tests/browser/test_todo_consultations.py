"""Consultations in everyday work, in a real browser (issues 17 and 19): a member's vote
awaited is an item of やること, one tap from the vote form; the implementing body's staff
find each rider awaiting their response, one tap from recording it; the secretariat finds
the council's riders without a response; and the tracking table becomes one card per member
on a phone (390 × 844: no horizontal scroll; name, 資料, 回答 and 内容 on each card), with no
JavaScript. Every page passes axe and the explicit checks (tests/browser/a11y.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from circulation.models import Consultation, Rider
from circulation.services.consultation_results import RiderDraft, record_meeting_result
from circulation.services.reports import issue_report
from tests.browser.a11y import check_page
from tests.browser.everyday import OPEN_TITLE, OPINION, a_week, answer
from tests.browser.helpers import button, login, screenshot, tab_to
from tests.consultations import helpers as h
from tests.consultations.conftest import _body

DEVICES = ["desktop", "phone"]
RIDER = "業者に任せきりにせず、定期的に作業者の操作記録を確認すること。"


def todo_labels(page) -> list[str]:
    return [t.strip() for t in page.locator(".todo .badge--todo").all_inner_texts()]


def open_by_keyboard(page, locator) -> None:
    tab_to(page, locator)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def issued_with_rider(council, staff) -> Rider:
    circulation = h.register(council, staff=staff, number=64, items=["クラウドの利用"],
                             title="住民情報システムの標準化について")  # fmt: skip
    item = h.items_of(circulation)[0]
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"},
        riders=[RiderDraft(RIDER)], reasons="公益上の必要性があるため。",
    )  # fmt: skip
    issue_report(
        circulation.pk, by=council.secretariat, report_date=dt.date.today(),
        version=Consultation.objects.get(pk=circulation.pk).report_version,
    )  # fmt: skip
    return Rider.objects.get(consultation_id=circulation.pk)


@pytest.mark.parametrize("device", DEVICES)
def test_a_members_vote_awaited_is_in_the_to_do_list_one_tap_from_the_form(
    clock, new_page, council, device
):
    body = _body(council, "kimura@city.example.jp", "木村 実施機関")
    consultation = h.sent(council, staff=[body])
    page = new_page(device)
    login(page, council.members[1].email)  # 高橋: nothing else waits for him
    assert todo_labels(page) == ["賛否待ち"]
    item = page.locator(".todo--vote")
    assert f"諮問第65号 {consultation.title}" in item.inner_text()
    assert "回答期限" in item.inner_text()
    assert page.get_by_text(consultation.title).count() == 1  # shown once, in the list
    check_page(page)
    open_by_keyboard(page, page.locator(".todo--vote .todo__link"))
    assert page.url.endswith(f"/c/{consultation.pk}/consultation/#vote")


def test_the_body_and_the_secretariat_find_the_riders_awaiting_a_response(clock, new_page, council):
    body = _body(council, "kimura@city.example.jp", "木村 実施機関")
    rider = issued_with_rider(council, [body])

    staff = new_page("phone")
    login(staff, body.email)
    assert todo_labels(staff) == ["対応待ちの付言"]
    assert RIDER in staff.locator(".todo--rider_response").inner_text()
    check_page(staff)
    screenshot(staff, "home-implementing-body-rider")
    open_by_keyboard(staff, staff.locator(".todo--rider_response .todo__link"))
    assert staff.url.endswith(f"/riders/{rider.pk}/respond/")
    staff.get_by_label(re.compile("^対応状況")).first.fill("契約に作業記録の提出を入れました。")
    button(staff, "対応状況を登録").click()
    staff.wait_for_load_state()
    staff.goto("/")
    assert todo_labels(staff) == []  # responded: nothing awaits it now

    Rider.objects.create(consultation_id=rider.consultation_id, order=2, text="次の付言。",
                         adopted_by=council.chair)  # fmt: skip
    clerk = new_page("desktop")
    login(clerk, council.secretariat.email)
    item = clerk.locator(".todo--rider_unanswered")
    assert "対応状況が未登録の付言" in item.inner_text()
    check_page(clerk)
    open_by_keyboard(clerk, clerk.locator(".todo--rider_unanswered .todo__link"))
    assert clerk.url.endswith(f"/committees/{council.committee.pk}/riders/")
    assert "次の付言。" in clerk.content()


@pytest.mark.parametrize("device", DEVICES)
def test_the_tracking_table_is_a_card_per_member_on_a_phone(clock, new_page, council, device):
    week = a_week(council, clock)
    answer(week.open, council.members[2], "opinion", OPINION * 3, meeting=True)
    page = new_page(device)
    login(page, council.secretariat.email)
    page.goto(f"/c/{week.open.pk}/tracking/")
    assert page.locator("script").count() == 0  # the cards are CSS only
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    rows = page.locator("table.tracking tbody tr")
    assert rows.count() == week.open.recipients.count()
    wrap = page.locator(".table-wrap").filter(has=page.locator("table.tracking"))
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), "the table is cut"
    ito = page.locator("tr.tracking-row").filter(has_text="伊藤")
    if device == "phone":
        assert page.locator("table.tracking thead").bounding_box()["height"] <= 1  # read by labels
        card = ito.bounding_box()
        assert card["width"] >= 300, "each member a card as wide as the phone"
        text = ito.inner_text()
        for said in ("伊藤 委員", "回答済み", "審議が必要"):
            assert said in text, said
        # Each cell of the card says what it is (the column's name, drawn by CSS).
        labels = ito.locator("td").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert labels == ['"資料"', '"回答"', '"内容"'], labels
        # A member who has not replied: their card has no empty 内容.
        tanaka = page.locator("tr.tracking-row").filter(has_text="田中")
        assert "未回答" in tanaka.inner_text()
        assert not tanaka.locator("td.tracking-content").is_visible()
        screenshot(page, "tracking-phone")
    else:
        assert page.locator("table.tracking thead").is_visible()
    check_page(page, languages=("ja",), focus=False)
    assert OPEN_TITLE in page.content()


def test_the_consultations_vote_table_is_a_card_per_member_on_a_phone(clock, new_page, council):
    body = _body(council, "kimura@city.example.jp", "木村 実施機関")
    consultation = h.sent(council, staff=[body])
    h.vote(consultation, council.members[0], "approve", "abstain", opinion="必要性はある。")
    page = new_page("phone")
    login(page, council.secretariat.email)
    page.goto(f"/c/{consultation.pk}/consultation/votes/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    tanaka = page.locator("table.votes-table tbody tr").filter(has_text="田中")
    assert tanaka.bounding_box()["width"] >= 300
    assert "承認" in tanaka.inner_text() and "保留" in tanaka.inner_text()
    labels = tanaka.locator("td[data-label]").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"議題1"', '"議題2"', '"回答方法"'], labels
    check_page(page, languages=("ja",))
