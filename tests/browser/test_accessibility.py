"""The pages a member meets first — the login page, the home page, a circulation — pass axe
and the explicit checks in Japanese and in English, on a desktop and on a phone."""

from __future__ import annotations

import pytest

from tests.browser.a11y import assert_errors_tied_to_fields, check_page
from tests.browser.helpers import (
    DEADLINE,
    button,
    field,
    login,
    screenshot,
    switch_language,
)
from tests.circulation.helpers import sent_circulation

DEVICES = ["desktop", "phone"]


@pytest.mark.parametrize("device", DEVICES)
def test_login_page_is_accessible_in_both_languages(new_page, live_server, device):
    page = new_page(device)
    page.goto("/accounts/login/")
    assert page.get_by_role("heading", level=1).inner_text().strip() == "ログイン"
    field(page, "メールアドレス").wait_for()
    field(page, "パスワード").wait_for()
    button(page, "ログイン").wait_for()
    check_page(page)
    screenshot(page, f"login-{device}")


def test_empty_login_shows_errors_tied_to_the_fields(desktop, live_server):
    desktop.goto("/accounts/login/")
    # The browser's own check would stop an empty form; the server's messages are tested.
    desktop.locator("form:has(input[type=password])").evaluate("f => f.noValidate = true")
    button(desktop, "ログイン").click()
    desktop.wait_for_load_state()
    assert_errors_tied_to_fields(desktop)
    assert field(desktop, "メールアドレス").get_attribute("aria-invalid") == "true"


def test_wrong_password_error_is_tied_to_the_fields(desktop, council):
    desktop.goto("/accounts/login/")
    field(desktop, "メールアドレス").fill(council.members[0].email)
    field(desktop, "パスワード").fill("not the password")
    button(desktop, "ログイン").click()
    desktop.wait_for_load_state()
    # What the member typed is kept.
    assert field(desktop, "メールアドレス").input_value() == council.members[0].email
    assert_errors_tied_to_fields(desktop)


@pytest.mark.parametrize("device", DEVICES)
def test_member_home_and_circulation_pages_are_accessible(clock, new_page, council, device):
    circulation = sent_circulation(council, deadline=DEADLINE)
    page = new_page(device)
    login(page, council.members[0].email)
    assert page.get_by_role("link", name=council.committee.name).first.is_visible()
    check_page(page)

    page.goto(f"/c/{circulation.pk}/")  # the link in the notice mail
    assert page.get_by_role("heading", level=1).inner_text() == circulation.title
    check_page(page)
    if device == "phone":
        screenshot(page, "member-phone")

    # The language switch keeps the member on the page they were reading.
    switch_language(page, "en")
    assert page.url.endswith(f"/c/{circulation.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == circulation.title


def test_committee_page_is_accessible_for_the_secretariat(desktop, council):
    login(desktop, council.secretariat.email)
    desktop.get_by_role("link", name=council.committee.name).first.click()
    desktop.wait_for_load_state()
    assert desktop.get_by_role("heading", level=1).inner_text() == council.committee.name
    check_page(desktop)


def test_council_settings_page_is_accessible_and_saves(desktop, council):
    login(desktop, council.secretariat.email)
    desktop.get_by_role("link", name=council.committee.name).first.click()
    desktop.get_by_role("link", name="審議会の設定").click()
    desktop.wait_for_load_state()
    assert desktop.get_by_role("heading", level=1).inner_text() == "審議会の設定"
    check_page(desktop)

    desktop.get_by_label("7日前").check()
    field(desktop, "会長への督促(締切後の日数)").fill("5")
    button(desktop, "保存する").click()
    desktop.wait_for_load_state()
    assert "審議会の設定を保存しました。" in desktop.content()
    check_page(desktop)
