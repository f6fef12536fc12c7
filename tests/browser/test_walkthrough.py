"""One circulation from the secretariat's desk to the decision, in a real browser.

佐藤 (secretariat, desktop) creates and sends a circulation with two materials (a PDF and a
PNG). 田中 replies 意見なし and 高橋 replies with an opinion asking for a meeting — both with
the keyboard alone —, 伊藤 asks a question which 佐藤 answers. The deadline passes (the test
moves the clock and lets the due work close the circulation). 山田 (chair) decides, and every
member sees the decision.

Run twice: everyone in Japanese with the members and the chair on a desktop; then with the
members and the chair on a phone, everyone but 田中 in English (switched with the header's
form). The secretariat always works on a desktop. Every page is checked with axe and the
explicit checks on the way, so each page of the walkthrough is checked in both languages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from circulation.jobs.due import run_due_work
from circulation.models import Answer, Circulation, Decision, OutboxMessage, Question, Recipient
from circulation.services.closing import close_circulation
from tests.browser import flows
from tests.browser.a11y import assert_errors_tied_to_fields, assert_page_in, check_here
from tests.browser.helpers import (
    DEADLINE,
    button,
    login,
    page_text,
    says,
    screenshot,
    small_pdf,
    small_png,
    switch_language,
)
from tests.circulation.helpers import sent_circulation

TITLE = "第46回 管理運用会議の議事録について"
EXPLANATION = "第46回 管理運用会議の議事録(案)とシステム構成図です。ご確認ください。"
MATERIALS = [
    {
        "title": "第46回 管理運用会議 議事録(案)",
        "filename": "議事録案.pdf",
        "mime": "application/pdf",
        "content": small_pdf("minutes 46"),
    },
    {
        "title": "システム構成図",
        "filename": "構成図.png",
        "mime": "image/png",
        "content": small_png(),
    },
]
OPINION = "監査報告の指摘事項3について、対応状況を会議で確認したい。"
QUESTION = "議事録(案)3ページの「外部接続」は、どの回線を指していますか。"
ANSWER = "LGWAN 回線を指しています。次回の資料で明記します。"
REASON = "指摘事項3の対応状況を確認するため、会議を開催します。"
NO_MEETING_REASON = "意見は書面で確認できたため、会議は開催しません。"


VARIANTS = [
    pytest.param("desktop", "ja", id="desktop-ja"),
    pytest.param("phone", "en", id="phone-en"),
]


@dataclasses.dataclass
class Walk:
    """Who is where: each person has their own browser (context)."""

    new_page: Callable[..., object]
    council: object
    device: str
    lang: str
    visited: dict[tuple[int, str], str] = dataclasses.field(default_factory=dict)

    @property
    def committee(self) -> str:
        return self.council.committee.name

    def person(self, email: str, device: str | None = None, lang: str | None = None):
        page = self.new_page(device or self.device)
        login(page, email)
        if (lang or self.lang) != "ja":
            switch_language(page, lang or self.lang)
        return page

    def open(self, page, title: str = TITLE) -> None:
        """The first time from the home page by the links; after that, as a person returning
        to a page they know (the browser's history), straight to its address."""
        known = self.visited.get((id(page), title))
        if known:
            page.goto(known)
            flows.settle(page)
        else:
            flows.open_circulation(page, title, self.committee)
            self.visited[(id(page), title)] = page.url


def state_of(title: str) -> str:
    return Circulation.objects.get(title=title).state


def reply_of(user) -> object:
    return (
        Recipient.objects.select_related("current_reply")
        .get(circulation__title=TITLE, user=user)
        .current_reply
    )


@pytest.mark.parametrize(("device", "lang"), VARIANTS)
def test_a_circulation_from_sending_to_the_decision(
    clock, new_page, council, settings, device, lang
):
    # The members come back after the deadline in the same browser, still logged in.
    settings.SESSION_COOKIE_AGE = 30 * 24 * 3600
    walk = Walk(new_page, council, device, lang)
    tanaka, takahashi, ito = council.members

    # 1. 佐藤 creates the circulation with two materials and sends it.
    office = walk.person(council.secretariat.email, "desktop")
    flows.create_circulation(
        office,
        committee=walk.committee,
        title=TITLE,
        explanation=EXPLANATION,
        deadline=DEADLINE,
        materials=MATERIALS,
        check=check_here,
    )
    circulation = Circulation.objects.get(title=TITLE)
    assert circulation.state == Circulation.State.DRAFT
    assert circulation.deadline == DEADLINE
    materials = list(circulation.materials.filter(is_current=True).order_by("order", "id"))
    assert [(m.title, m.original_name) for m in materials] == [
        (m["title"], m["filename"]) for m in MATERIALS
    ]
    check_here(office)
    flows.send(
        office,
        title=TITLE,
        committee=walk.committee,
        is_open=lambda: state_of(TITLE) == Circulation.State.OPEN,
    )
    notified = set(
        OutboxMessage.objects.filter(
            purpose="circulation.notice", circulation=circulation
        ).values_list("to_email", flat=True)
    )
    assert {m.email for m in council.members} <= notified
    check_here(office)

    # 2a. 田中 (in Japanese in both runs): 意見なし, with the keyboard alone.
    first = walk.person(tanaka.email, lang="ja")
    walk.open(first)
    assert MATERIALS[0]["title"] in page_text(first, limit=20_000)
    check_here(first)
    if device == "phone":
        screenshot(first, "member-phone")
    flows.reply_by_keyboard(first, kind="意見なし", meeting="審議は不要")
    reply = reply_of(tanaka)
    assert reply is not None and reply.kind == "no_opinion" and reply.channel == "web"
    check_here(first)
    if device == "phone":
        screenshot(first, "member-reply")

    # 2b. 高橋: an opinion asking for a meeting, with the keyboard alone.
    second = walk.person(takahashi.email)
    walk.open(second)
    if lang != "ja":
        check_here(second)
    flows.reply_by_keyboard(second, kind="意見あり", opinion=OPINION, meeting="審議が必要")
    reply = reply_of(takahashi)
    assert reply is not None
    assert (reply.kind, reply.opinion, reply.meeting_needed) == ("opinion", OPINION, True)

    # 2c. 伊藤 asks a question; 佐藤 answers it; 伊藤 sees the answer.
    third = walk.person(ito.email)
    walk.open(third)
    flows.ask_question(third, QUESTION)
    assert Question.objects.filter(circulation=circulation, text=QUESTION).exists()
    check_here(third)
    walk.open(office)
    flows.answer_question(office, question=QUESTION, answer=ANSWER)
    assert Answer.objects.filter(question__circulation=circulation, text=ANSWER).exists()
    check_here(office)
    walk.open(third)
    assert ANSWER in page_text(third, limit=50_000)

    # 3. 佐藤 follows the replies on the tracking grid.
    walk.open(office)
    flows.open_tracking(office)
    grid = flows.visible(office.get_by_role("table"))
    assert grid is not None, page_text(office)
    grid_text = grid.inner_text()
    for person in council.members:
        assert person.full_name in grid_text
    assert says(grid_text, "回答済み", lang) and says(grid_text, "未回答", lang), grid_text
    check_here(office)
    if lang == "ja":
        screenshot(office, "tracking")

    # 4. The deadline passes: the clock moves on and the due work closes the circulation.
    clock.move_to(DEADLINE + dt.timedelta(minutes=1))
    run_due_work()
    close_circulation(circulation.pk)  # no-op when the due work already closed it
    assert state_of(TITLE) == Circulation.State.CLOSED

    # 5. 山田 decides, with every opinion and the Q&A in front of him.
    convene = lang == "ja"
    reason = REASON if convene else NO_MEETING_REASON
    chair = walk.person(council.chair.email)
    walk.open(chair)
    flows.open_decision(chair)
    in_front = page_text(chair, limit=50_000)
    assert OPINION in in_front and QUESTION in in_front
    check_here(chair)
    if lang == "ja":
        screenshot(chair, "chair-decision")
    flows.decide(
        chair,
        convene=convene,
        reason=reason,
        is_decided=lambda: Decision.objects.filter(circulation=circulation).exists(),
    )
    decision = Decision.objects.get(circulation=circulation)
    assert (decision.convene, decision.reason, decision.decided_by) == (
        convene,
        reason,
        council.chair,
    )
    assert state_of(TITLE) != Circulation.State.CLOSED
    check_here(chair)

    # The decision record (審議結果): everything on one page.
    if not says(chair.get_by_role("heading", level=1).inner_text(), "審議結果", lang):
        assert flows.click_link(chair, flows.loose("審議結果|decision record")), page_text(chair)
    record = page_text(chair, limit=100_000)
    for text in (TITLE, MATERIALS[0]["title"], MATERIALS[1]["title"], OPINION, QUESTION):
        assert text in record, f"{text!r} is missing from the decision record"
    assert ANSWER in record and reason in record
    check_here(chair)
    if lang == "ja":
        screenshot(chair, "decision-record")

    # 6. Every member sees the decision (in the browser they replied from), and is told by mail.
    label = "開催する" if convene else "開催しない"
    for page, person in zip((first, second, third), council.members, strict=True):
        walk.open(page)
        seen = page_text(page, limit=50_000)
        assert says(seen, label, lang) and reason in seen, f"{person.full_name} sees:\n{seen}"
    check_here(second)
    told = set(
        OutboxMessage.objects.filter(
            purpose="circulation.decision", circulation=circulation
        ).values_list("to_email", flat=True)
    )
    assert {m.email for m in council.members} <= told


def test_an_empty_reply_is_refused_with_the_error_tied_to_the_choice(clock, phone, council):
    circulation = sent_circulation(council, deadline=DEADLINE)
    login(phone, council.members[0].email)
    flows.open_circulation(phone, circulation.title, council.committee.name)
    submit = button(phone, "回答を送信")
    # The browser's own check would stop an empty form; the server's message is tested.
    phone.locator("form").filter(has=submit).evaluate("form => form.noValidate = true")
    submit.click()
    flows.settle(phone)
    assert_errors_tied_to_fields(phone)
    assert_page_in(phone, "ja")
    recipient = Recipient.objects.get(circulation=circulation, user=council.members[0])
    assert recipient.current_reply is None
