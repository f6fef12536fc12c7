"""On a 390px-wide phone the member's pages fit the screen: nothing to scroll sideways,
buttons large enough to tap. Drives Debian's Chromium through Playwright."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from tests.browser.helpers import login
from tests.circulation.helpers import draft_circulation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_home_and_circulation_page_fit_a_phone(phone, live_server, council):
    login(phone, council.members[0].email)
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

    phone.goto("/")
    assert phone.get_by_role("heading", name="やること", level=1).is_visible()
    assert overflow(phone) <= 0

    phone.goto(reverse("circulation_detail", args=[circulation.pk]))
    assert overflow(phone) <= 0
    submit = phone.get_by_role("button", name="回答を送信")
    assert submit.bounding_box()["height"] >= 44
    assert submit.bounding_box()["width"] >= 300  # full width on a phone
