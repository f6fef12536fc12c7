"""Mail as the members see it: the HTML part shown in the browser (JavaScript off), readable
even with the styles and images stripped, as many mail clients show it; the text part says
the same. Deadlines are written in Japan time with the weekday."""

from __future__ import annotations

import datetime as dt
import re

from circulation.jobs.due import run_due_work
from circulation.models import Decision, OutboxMessage
from circulation.services.closing import close_circulation
from tests.browser import flows
from tests.browser.helpers import DEADLINE, login, network_of, screenshot
from tests.circulation.helpers import sent_circulation

DEADLINE_AS_WRITTEN = "9月10日(金) 17:00"  # DEADLINE, in Japan time, with the weekday
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def plain(html: str) -> str:
    """The HTML as a client that ignores styles and blocks images shows it."""
    html = re.sub(r"(?is)<style\b.*?</style>", "", html)
    html = re.sub(r"(?is)<link\b[^>]*>", "", html)
    html = re.sub(r"(?is)<img\b[^>]*>", "", html)
    return re.sub(r"(?is)\s+style=(\"[^\"]*\"|'[^']*')", "", html)


def check_mail(page, message: OutboxMessage, *, says: list[str], picture: str) -> None:
    """The mail's HTML stripped of styles and images, its text part, and then the HTML as
    it is, in the browser, for the picture in the docs (taken only when the mail reads well)."""
    assert message.body_html, f"{message.purpose} has no HTML part"
    page.set_content(plain(message.body_html))
    shown = page.locator("body").inner_text()
    for text in says:
        assert text in shown, f"{text!r} is not readable in the HTML part without CSS:\n{shown}"
    links = page.locator("a[href]")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    portal_links = [href for href in hrefs if href and href.startswith("http")]
    assert portal_links, f"the HTML part has no link to the portal: {hrefs}"
    for index in range(links.count()):
        assert links.nth(index).inner_text().strip(), "a link in the mail has no words"
    # Nothing was fetched to show the mail: no remote images, fonts or styles.
    assert network_of(page).urls == [], network_of(page).urls

    text = message.body_text
    assert not TAG.search(text), f"markup in the text part:\n{text}"
    for needed in [*says, *portal_links]:
        assert needed in text, f"{needed!r} is missing from the text part:\n{text}"

    page.set_viewport_size({"width": 720, "height": 600})  # a mail client's reading pane
    page.set_content(message.body_html)
    assert page.locator("html").get_attribute("lang") in {"ja", "en"}
    assert network_of(page).urls == [], network_of(page).urls
    screenshot(page, picture)


def test_the_notice_mail_reads_well_as_html_and_as_text(clock, new_page, council):
    circulation = sent_circulation(council, deadline=DEADLINE)
    message = OutboxMessage.objects.get(
        purpose="circulation.notice", circulation=circulation, to_user=council.members[0]
    )
    assert DEADLINE_AS_WRITTEN in message.subject
    page = new_page("desktop", javascript=False)
    check_mail(
        page,
        message,
        says=[circulation.title, DEADLINE_AS_WRITTEN, "議事録(案)", "意見なし"],
        picture="mail-notice",
    )


def test_the_stripping_of_styles_is_real():
    html = '<p style="color: red">x</p><style>p{}</style><img src="http://e.invalid/a.png">'
    assert plain(html) == "<p>x</p>"


def test_the_closing_summary_mail_reads_well_as_html_and_as_text(clock, new_page, council):
    circulation = sent_circulation(council, deadline=DEADLINE)
    clock.move_to(DEADLINE + dt.timedelta(minutes=1))
    assert close_circulation(circulation.pk)
    message = OutboxMessage.objects.get(
        purpose="circulation.closing_summary", circulation=circulation, to_user=council.chair
    )
    page = new_page("desktop", javascript=False)
    check_mail(
        page,
        message,
        says=[circulation.title, DEADLINE_AS_WRITTEN, "開催の要否"],
        picture="mail-closing-summary",
    )


def test_the_reminder_mail_reads_well_as_html_and_as_text(clock, new_page, council):
    circulation = sent_circulation(council, deadline=DEADLINE)
    clock.move_to(DEADLINE - dt.timedelta(days=1) + dt.timedelta(minutes=1))
    run_due_work()
    message = (
        OutboxMessage.objects.filter(
            purpose="circulation.reminder", circulation=circulation, to_user=council.members[0]
        )
        .order_by("-created_at")
        .first()
    )
    assert message is not None, "no reminder (督促) was written to the outbox"
    page = new_page("desktop", javascript=False)
    check_mail(
        page,
        message,
        says=[circulation.title, DEADLINE_AS_WRITTEN],
        picture="mail-reminder",
    )


def test_the_decision_mail_reads_well_as_html_and_as_text(clock, new_page, council):
    circulation = sent_circulation(council, deadline=DEADLINE)
    clock.move_to(DEADLINE + dt.timedelta(minutes=1))
    close_circulation(circulation.pk)
    chair = new_page("desktop")
    login(chair, council.chair.email)
    flows.open_circulation(chair, circulation.title, council.committee.name)
    flows.open_decision(chair)
    reason = "意見は書面で確認できたため、会議は開催しません。"
    flows.decide(
        chair,
        convene=False,
        reason=reason,
        is_decided=lambda: Decision.objects.filter(circulation=circulation).exists(),
    )
    message = OutboxMessage.objects.get(
        purpose="circulation.decision", circulation=circulation, to_user=council.members[0]
    )
    page = new_page("desktop", javascript=False)
    check_mail(
        page,
        message,
        says=[circulation.title, "開催しない", reason],
        picture="mail-decision",
    )
