"""On a 390px-wide phone the member's pages fit the screen: nothing to scroll sideways,
buttons large enough to tap. Drives Debian's Chromium through Playwright."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from tests.circulation.helpers import draft_circulation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def phone(live_server, council):
    if CHROMIUM is None:
        pytest.skip("needs Chromium")
    pytest.importorskip("playwright")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test
    # itself are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
        # Logged in as 田中 through the test client's session (logging in has its own tests).
        client = Client()
        client.force_login(council.members[0])
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                              "url": live_server.url}])  # fmt: skip
        page = context.new_page()
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def screenshot(page, name: str) -> None:
    """For a person to look at: KAIRAN_SCREENSHOTS=/some/folder keeps them."""
    folder = os.environ.get("KAIRAN_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=True)


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_home_and_circulation_page_fit_a_phone(phone, live_server, council):
    long_title = (
        "第12回 住民基本台帳ネットワークシステム管理運用会議の議事録(案)"
        "及び内部監査報告書の確認について"
    )
    circulation = draft_circulation(council, title=long_title)
    circulation.explanation = "| 資料 | 内容 |\n|---|---|\n| 資料1 | 議事録(案) |\n\n" + "説明" * 80
    circulation.save()
    circulation = send_circulation(circulation.pk, by=council.secretariat)
    tanaka = council.members[0]
    submit_reply(recipient=circulation.recipients.get(user=tanaka), kind="opinion",
                 opinion="長い意見" * 60, meeting_needed=True, submitted_by=tanaka)  # fmt: skip
    other = draft_circulation(council, deadline=circulation.deadline + dt.timedelta(days=3))
    send_circulation(other.pk, by=council.secretariat)

    phone.goto(live_server.url + "/")
    assert phone.get_by_text("未回答の書面照会").is_visible()
    assert overflow(phone) <= 0
    screenshot(phone, "home-390.png")

    phone.goto(live_server.url + reverse("circulation_detail", args=[circulation.pk]))
    assert overflow(phone) <= 0
    submit = phone.get_by_role("button", name="回答を送信")
    assert submit.bounding_box()["height"] >= 44
    assert submit.bounding_box()["width"] >= 300  # full width on a phone
    screenshot(phone, "detail-390.png")
