"""Everyday work in a real browser (issue 19): each person's home page says what to do next;
the chair confirms a decision before it is recorded; a refused form opens at a summary of
its errors; the secretariat reminds, downloads, copies and reads each member's mail; the
member's page works on a phone without JavaScript; the operation log reads at 1,280 px and on
a phone. Every page passes axe and the explicit checks (tests/browser/a11y.py), in Japanese
and English; the keyboard reaches each step."""

from __future__ import annotations

import re

import pytest

from circulation.models import Circulation, Decision, OutboxMessage, ReminderNow
from portal import audit
from portal.models import AuditEntry
from tests.browser.a11y import assert_errors_tied_to_fields, check_page
from tests.browser.everyday import CLOSED_TITLE, DRAFT_TITLE, OPEN_TITLE, QUESTION, a_week
from tests.browser.helpers import (
    button,
    is_focused,
    login,
    says,
    screenshot,
    switch_language,
    tab_to,
)
from tests.everyday.helpers import held_mail

DEVICES = ["desktop", "phone"]
REASON = "審議が必要との意見が1件あり、運用記録の欠落を確認するため開催します。"


def todo_titles(page) -> list[str]:
    return [t.strip() for t in page.locator(".todo__title").all_inner_texts()]


def in_first_screen(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    # A fragment scrolls the element to the top, give or take a fraction of a pixel.
    return box is not None and box["y"] >= -1 and box["y"] + box["height"] <= height


def small_targets(page) -> list[str]:
    """Controls and standalone links smaller than 44 × 44 CSS px (a link inside a sentence
    is exempt, as WCAG 2.5.8 exempts it)."""
    return page.evaluate(
        """() => {
          const out = [];
          const els = document.querySelectorAll(
            'button, input:not([type=hidden]), select, textarea, summary, a[href]');
          for (const el of els) {
            const box = el.getBoundingClientRect();
            if (!box.width || !box.height || !el.checkVisibility()
                || el.closest('.visually-hidden, .skip-link')) continue;  // folded away
            if (el.tagName === 'A') {
              const parent = el.parentElement;
              if (parent.innerText.trim() !== el.innerText.trim()) continue;  // in a sentence
            }
            const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
            if (box.width < 44 || box.height < 44) out.push(`${el.outerHTML.slice(0, 90)} ${size}`);
          }
          return out;
        }"""
    )


def press_enter_and_wait(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def open_first_item_by_keyboard(page) -> None:
    tab_to(page, page.locator(".todo__link").first)
    press_enter_and_wait(page)


# --- Home: what to do next, per person --------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_a_member_sees_the_reply_awaited_and_opens_it_with_one_tap(
    clock, new_page, council, device
):
    week = a_week(council, clock)
    page = new_page(device)
    login(page, council.members[0].email)
    assert page.get_by_role("heading", level=1).inner_text().strip() == "やること"
    assert todo_titles(page) == [OPEN_TITLE]
    item = page.locator(".todo").first
    assert "回答期限" in item.inner_text() and "9月10日(金) 17:00" in item.inner_text()
    assert "(あと4日" in item.inner_text()  # from Monday 09:00
    assert in_first_screen(page, item)
    check_page(page)
    if device == "phone":
        assert small_targets(page) == []
    if device == "phone":
        screenshot(page, "home-member")
    open_first_item_by_keyboard(page)
    assert page.url.endswith(f"/c/{week.open.pk}/")


@pytest.mark.parametrize("device", DEVICES)
def test_the_chair_sees_the_decision_waiting_and_for_how_long(clock, new_page, council, device):
    week = a_week(council, clock)
    page = new_page(device)
    login(page, council.chair.email)
    assert todo_titles(page) == [CLOSED_TITLE]
    item = page.locator(".todo").first
    assert "開催の要否" in item.inner_text()
    assert re.search(r"2日1[56]時間待っています", item.inner_text())  # since Friday 17:00
    check_page(page)
    if device == "phone":
        screenshot(page, "home-chair")
    open_first_item_by_keyboard(page)
    assert page.url.endswith(f"/c/{week.closed.pk}/decision/")


@pytest.mark.parametrize("device", DEVICES)
def test_the_secretariat_sees_every_kind_of_waiting_work_most_urgent_first(
    clock, new_page, council, device
):
    a_week(council, clock)
    page = new_page(device)
    login(page, council.secretariat.email)
    labels = [t.strip() for t in page.locator(".todo .badge--todo").all_inner_texts()]
    # Held and failed mail are due at once; the question by the deadline; the decision by the
    # chair's reminder; the draft whenever.
    assert labels == ["届かなかったメール", "保留中のメール", "決定待ち", "未回答の質問", "下書き"]
    assert DRAFT_TITLE in todo_titles(page)
    counts = page.get_by_text(re.compile(r"下書き 1 / 回答受付中 1 / 締切 1"))
    assert counts.is_visible()  # the counts stay, below the list
    assert counts.bounding_box()["y"] > page.locator(".todo-list").bounding_box()["y"]
    check_page(page)
    if device == "desktop":
        screenshot(page, "home-secretariat")
    else:
        assert small_targets(page) == []
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    tab_to(page, page.get_by_role("link", name=re.compile("保留中・照合できないメール")).first)
    press_enter_and_wait(page)
    assert "/mail/" in page.url
    check_page(page, languages=("ja",))


@pytest.mark.parametrize("device", DEVICES)
def test_the_implementing_body_sees_the_questions_to_answer(clock, new_page, council, device):
    week = a_week(council, clock)
    page = new_page(device)
    login(page, week.body.email)
    assert todo_titles(page) == [OPEN_TITLE]
    assert "未回答の質問" in page.locator(".todo").first.inner_text()
    check_page(page)
    if device == "phone":
        screenshot(page, "home-implementing-body")
    open_first_item_by_keyboard(page)
    assert QUESTION in page.content()


# --- The chair's decision, confirmed ------------------------------------------------------------


@pytest.mark.parametrize(("device", "lang"), [("desktop", "ja"), ("phone", "en")])
def test_the_chair_confirms_the_decision_before_it_is_recorded(
    clock, new_page, council, device, lang
):
    week = a_week(council, clock)
    page = new_page(device)
    login(page, council.chair.email)
    if lang != "ja":
        switch_language(page, lang)
    page.goto(f"/c/{week.closed.pk}/decision/")
    convene, not_convene = button(page, "開催する"), button(page, "開催しない")
    look = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color]; }"
    assert convene.evaluate(look) != not_convene.evaluate(look)  # they look different
    reason = page.get_by_label(re.compile("^(理由|Reason)"))
    tab_to(page, reason)
    page.keyboard.type(REASON)
    tab_to(page, convene)
    press_enter_and_wait(page)
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith(("開催の要否の確認", "Confirm the decision")), heading
    text = page.locator("main").inner_text()
    assert REASON in text and "佐藤 事務局" in text
    assert re.search(r"通知する人\(6人\)|Who will be told \(6 people\)", text), text
    assert says(text, "開催する", lang)
    assert not Decision.objects.exists()  # nothing recorded yet
    # The page answers a post: checked in the language shown (switching reloads by GET).
    check_page(page, languages=(lang,))
    if device == "phone":
        screenshot(page, "decision-confirm")
    tab_to(page, button(page, "開催する"))
    press_enter_and_wait(page)
    decision = Decision.objects.get()
    assert decision.convene and decision.reason == REASON
    assert page.locator(".decision-outcome").is_visible()


def test_going_back_from_the_confirmation_keeps_the_reason(clock, new_page, council):
    week = a_week(council, clock)
    page = new_page("phone")
    login(page, council.chair.email)
    page.goto(f"/c/{week.closed.pk}/decision/")
    page.get_by_label(re.compile("^理由")).fill(REASON)
    button(page, "開催しない").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="戻って修正する").click()
    page.wait_for_load_state()
    assert page.get_by_label(re.compile("^理由")).input_value() == REASON
    assert not Decision.objects.exists()


# --- A refused form opens at its error summary -------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_a_refused_reply_opens_at_an_error_summary_linking_to_the_field(
    clock, new_page, council, device
):
    week = a_week(council, clock)
    page = new_page(device)
    login(page, council.members[0].email)
    page.goto(f"/c/{week.open.pk}/")
    page.get_by_label("意見あり", exact=True).check()
    page.get_by_role("textbox", name="意見").fill("第2項に誤記があります。")
    button(page, "回答を送信").click()  # the meeting question is not answered
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and in_first_screen(page, summary)
    assert is_focused(summary)
    assert_errors_tied_to_fields(page)
    # The page answers a post: checked in the language shown (switching reloads by GET).
    check_page(page, languages=("ja",), focus=False)
    if device == "phone":
        screenshot(page, "error-summary", full_page=False)
    link = summary.get_by_role("link", name=re.compile("審議すべき重要事項の有無"))
    tab_to(page, link)
    page.keyboard.press("Enter")
    first_choice = page.get_by_label("審議が必要", exact=True)
    assert in_first_screen(page, first_choice)
    # What was typed is kept.
    assert page.get_by_role("textbox", name="意見").input_value() == "第2項に誤記があります。"
    first_choice.check()
    button(page, "回答を送信").click()
    page.wait_for_load_state()
    assert "回答を受け付けました" in page.content()


# --- The secretariat's new actions --------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_the_secretariat_reminds_downloads_reads_a_members_mail_and_copies(
    clock, new_page, council, device
):
    week = a_week(council, clock)
    page = new_page(device)
    login(page, council.secretariat.email)
    page.goto(f"/c/{week.open.pk}/tracking/")
    check_page(page)
    remind = button(page, "未回答の委員に督促する")
    tab_to(page, remind)
    press_enter_and_wait(page)
    assert "未回答の委員2人に督促のメールを送ります。" in page.content()
    assert ReminderNow.objects.get().recipients == 2
    assert OutboxMessage.objects.filter(purpose="circulation.reminder").count() == 2
    assert page.locator(".reminders-now li").count() == 1
    assert button(page, "未回答の委員に督促する").count() == 0  # once a day

    with page.expect_download() as csv_download:
        page.get_by_role("link", name=re.compile("CSV")).click()
    data = open(csv_download.value.path(), "rb").read()  # noqa: SIM115
    assert data.startswith(b"\xef\xbb\xbf") and "田中 委員" in data.decode("utf-8-sig")
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name=re.compile(r"\.xlsx")).click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")

    page.get_by_role("link", name=re.compile(r"送ったメール\s*: 伊藤 委員")).click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "書面照会の通知" in text and "送信失敗" in text and "督促" in text
    check_page(page)

    page.goto(f"/c/{week.open.pk}/tracking/")
    page.get_by_role("link", name="この書面照会を複製").first.click()
    page.wait_for_load_state()
    check_page(page)
    button(page, "この書面照会を複製").click()
    page.wait_for_load_state()
    copy = Circulation.objects.filter(title=OPEN_TITLE, state=Circulation.State.DRAFT).get()
    assert page.url.endswith(f"/c/{copy.pk}/edit/")
    assert copy.materials.count() == 1 and copy.recipients.count() == 5


def test_a_deadline_too_close_for_any_reminder_is_warned(clock, new_page, council):
    week = a_week(council, clock)
    page = new_page("desktop")
    login(page, council.secretariat.email)
    page.goto(f"/c/{week.draft.pk}/preview/")
    warning = page.locator("#reminder-warning")
    assert warning.is_visible() and "自動の督促が送られません" in warning.inner_text()
    check_page(page, focus=False)


# --- The member's page on a phone ---------------------------------------------------------------


def test_the_members_page_on_a_phone_says_what_to_do_first_and_needs_no_javascript(
    clock, new_page, council
):
    week = a_week(council, clock)
    page = new_page("phone")
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())) if r.ok else None)
    login(page, council.members[0].email)
    sizes.clear()
    page.goto(f"/c/{week.open.pk}/")
    for what in (page.get_by_role("heading", level=1), page.locator(".deadline"),
                 page.get_by_role("link", name="回答する")):  # fmt: skip
        assert in_first_screen(page, what), what
    assert small_targets(page) == []
    assert page.locator("script").count() == 0
    fetched = {url: size for url, size in sizes.items() if not url.endswith(".ico")}
    # The page, its stylesheet and the favicon (issue 20): no script, nothing else.
    allowed = (f"/c/{week.open.pk}/", ".css", "favicon.svg")
    assert all(url.endswith(allowed) for url in fetched), fetched
    assert sum(fetched.values()) <= 60_000, fetched
    screenshot(page, "member-first-screen", full_page=False)

    # The whole reply without JavaScript.
    plain = new_page("phone", javascript=False)
    login(plain, council.members[2].email)
    plain.goto(f"/c/{week.open.pk}/")
    plain.get_by_label("意見なし", exact=True).check()
    plain.get_by_label("審議は不要", exact=True).check()
    button(plain, "回答を送信").click()
    plain.wait_for_load_state()
    assert "回答を受け付けました" in plain.content()


# --- Wide tables --------------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_the_operation_log_reads_at_1280_px_and_on_a_phone(clock, new_page, council, device):
    agent = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0")  # fmt: skip
    for number in range(50):
        AuditEntry.objects.create(
            action="circulation.viewed", actor=council.members[number % 3],
            committee=council.committee, object_type="circulation.circulation",
            object_id=str(number), object_repr=f"第{number}回 管理運用会議の議事録について",
            ip="198.51.100.7", user_agent=agent, data={"page": "member"},
        )  # fmt: skip
    audit.record("audit.viewed", actor=council.secretariat, committee=council.committee)
    page = new_page(device)
    login(page, council.secretariat.email)
    page.goto("/audit/")
    rows = page.locator("table.log-table tbody tr")
    assert rows.count() == 50
    committee = page.locator(".log-committee").first
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    if device == "desktop":
        # The council's name on a few lines, not a character per line; 50 rows in a page a
        # person can scroll (it was 31,940 px).
        wrap = page.locator(".table-wrap").filter(has=page.locator("table.log-table"))
        assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), "the table is cut"
        assert committee.bounding_box()["width"] >= 150
        assert page.evaluate("document.documentElement.scrollHeight") < 12_000
    else:
        assert committee.bounding_box()["width"] >= 300  # each row a card as wide as the phone
    check_page(page, languages=("ja",))
    # The held mail's table too: nothing cut at 1,280 px, one card per message on a phone.
    held_mail(council.committee)
    page.goto(f"/c/committee/{council.committee.pk}/mail/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), "the table is cut"
