"""The summary at the deadline (【締切】) goes to the sitting chair, acting chair and
secretariat. Whoever decides is sent to the decision page; everyone else gets a page they
may open, or no link and a sentence saying who decides. Every link in every summary opens
for the person it was sent to. When the secretariat marks the chair absent (or present
again), the person who now decides is told of each closed circulation waiting for them."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from circulation.models import OutboxMessage
from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from circulation.services.sending import send_circulation
from portal.models import Membership, Role
from portal.services.membership import set_chair_absent
from tests.circulation.helpers import draft_circulation
from tests.decision.helpers import next_monday
from tests.security.html import injected_markup, visible_text

pytestmark = pytest.mark.django_db
SUMMARY = "circulation.closing_summary"
NEW_DECIDER = "circulation.decider_changed"


def closed(
    council, time_machine, *, leave_out=(), title="第12回 管理運用会議 議事録", seat_ends=None
):
    """Sent on Monday to the sitting members but `leave_out`, closed on Thursday 17:00:30;
    the clock then stands there. `seat_ends`: the role whose term ends on Tuesday."""
    monday = next_monday()
    deadline = (monday + dt.timedelta(days=3)).replace(hour=17)
    time_machine.move_to(monday, tick=False)
    draft = draft_circulation(council, deadline=deadline, title=title)
    draft.recipients.filter(user__in=leave_out).delete()
    circulation = send_circulation(draft.pk, by=council.secretariat)
    if seat_ends:
        end_term(council, seat_ends, (monday + dt.timedelta(days=1)).date())
    closing = deadline + dt.timedelta(seconds=30)
    time_machine.move_to(closing, tick=False)
    assert close_circulation(circulation.pk, now=closing)
    return circulation


def end_term(council, role: str, last_day: dt.date) -> None:
    Membership.objects.filter(committee=council.committee, role=role).update(term_end=last_day)


def links_in(mail: OutboxMessage) -> set[str]:
    """The paths of every link of both parts of a mail."""
    urls = re.findall(r"https?://[^\s\"<>]+", mail.body_text + "\n" + mail.body_html)
    return {urlsplit(url).path + ("#" + urlsplit(url).fragment if urlsplit(url).fragment else "")
            for url in urls}  # fmt: skip


def every_link_opens_for_its_recipient(mails) -> None:
    for mail in mails:
        client = Client()
        client.force_login(mail.to_user)
        for path in links_in(mail):
            status = client.get(path.split("#")[0]).status_code
            assert status == 200, f"{mail.to_email} cannot open {path}: {status}"


def summaries(circulation) -> dict[str, OutboxMessage]:
    mails = OutboxMessage.objects.filter(purpose=SUMMARY, circulation=circulation)
    return {mail.to_email: mail for mail in mails}


def decision_path(circulation) -> str:
    return reverse("circulation_decision", args=[circulation.pk])


def page_path(circulation) -> str:
    return reverse("circulation_detail", args=[circulation.pk])


CHAIR, ACTING, SECRETARIAT = "yamada@example.jp", "suzuki@example.jp", "sato@city.example.jp"


def test_with_the_chair_present_the_chair_decides_and_the_others_follow(council, time_machine):
    circulation = closed(council, time_machine)
    mails = summaries(circulation)
    assert set(mails) == {CHAIR, ACTING, SECRETARIAT}
    assert links_in(mails[CHAIR]) == {decision_path(circulation)}
    assert "開催の要否のご判断をお願いします" in mails[CHAIR].subject
    # The secretariat follows on the decision page, read-only; the acting chair, who does
    # not decide, on the circulation's page, which was sent to them.
    assert links_in(mails[SECRETARIAT]) == {decision_path(circulation)}
    assert links_in(mails[ACTING]) == {page_path(circulation)}
    for address in (ACTING, SECRETARIAT):
        assert "開催の要否は会長(山田 会長)が判断します。" in mails[address].body_text
        assert "開催の要否のご判断" not in mails[address].subject
    every_link_opens_for_its_recipient(mails.values())


def test_no_summary_calls_the_circulations_page_a_list_of_replies(council, time_machine):
    circulation = closed(council, time_machine)
    for mail in summaries(circulation).values():
        assert "回答の一覧" not in mail.body_text + mail.body_html


def test_with_the_chair_absent_the_acting_chair_decides(council, time_machine):
    set_chair_absent(council.committee, True, by=council.secretariat)
    circulation = closed(council, time_machine)
    mails = summaries(circulation)
    assert links_in(mails[ACTING]) == {decision_path(circulation)}
    assert links_in(mails[CHAIR]) == {page_path(circulation)}
    assert "開催の要否は職務代理者(鈴木 代理)が判断します。" in mails[CHAIR].body_text
    every_link_opens_for_its_recipient(mails.values())


def test_an_acting_chair_who_was_not_sent_the_circulation_gets_no_link_they_cannot_open(
    council, time_machine
):
    """Appointed after sending, say: not a recipient, and not deciding, so the circulation
    does not exist for them (404). The summary says who decides, and links nothing."""
    circulation = closed(council, time_machine, leave_out=[council.acting_chair])
    mails = summaries(circulation)
    assert links_in(mails[ACTING]) == set()
    assert "開催の要否は会長(山田 会長)が判断します。" in mails[ACTING].body_text
    client = Client()
    client.force_login(council.acting_chair)
    assert client.get(page_path(circulation)).status_code == 404  # why there is no link
    every_link_opens_for_its_recipient(mails.values())


def test_a_chair_not_sent_the_circulation_and_marked_absent_gets_no_link(council, time_machine):
    set_chair_absent(council.committee, True, by=council.secretariat)
    circulation = closed(council, time_machine, leave_out=[council.chair])
    mails = summaries(circulation)
    assert links_in(mails[CHAIR]) == set()
    assert "開催の要否は職務代理者(鈴木 代理)が判断します。" in mails[CHAIR].body_text
    assert links_in(mails[ACTING]) == {decision_path(circulation)}
    every_link_opens_for_its_recipient(mails.values())


def test_a_deciding_acting_chair_who_was_not_sent_the_circulation_opens_the_decision_page(
    council, time_machine
):
    """The chair's term ended before the deadline: the acting chair decides, even one who
    was not sent the circulation."""
    circulation = closed(
        council, time_machine, leave_out=[council.acting_chair], seat_ends=Role.CHAIR
    )
    mails = summaries(circulation)
    assert set(mails) == {ACTING, SECRETARIAT}
    assert links_in(mails[ACTING]) == {decision_path(circulation)}
    every_link_opens_for_its_recipient(mails.values())


def test_when_no_one_can_decide_the_summary_says_so(council, time_machine):
    set_chair_absent(council.committee, True, by=council.secretariat)
    circulation = closed(council, time_machine, seat_ends=Role.ACTING_CHAIR)
    mails = summaries(circulation)
    text = "会長・職務代理者とも在任していないため、開催の要否を決定できる人がいません。"
    assert text in mails[CHAIR].body_text and text in mails[SECRETARIAT].body_text
    every_link_opens_for_its_recipient(mails.values())


# --- The chair marked absent after the close ----------------------------------------------


def test_marking_the_chair_absent_tells_the_acting_chair_of_each_closed_circulation(
    client, council, time_machine
):
    first = closed(council, time_machine, leave_out=[council.acting_chair], title="第1回")
    second = closed(council, time_machine, title="第2回")
    decided = closed(council, time_machine, title="決定済みの回")
    decide(decided.pk, convene=False, reason="不要", by=council.chair)
    still_open = send_circulation(draft_circulation(council, title="受付中の回").pk,
                                  by=council.secretariat)  # fmt: skip

    client.force_login(council.secretariat)
    client.post(reverse("circulation_chair_absence", args=[first.pk]), {"absent": "1"})

    told = OutboxMessage.objects.filter(purpose=NEW_DECIDER)
    assert {(m.to_email, m.circulation_id) for m in told} == {(ACTING, first.pk),
                                                              (ACTING, second.pk)}  # fmt: skip
    assert not told.filter(circulation__in=[decided, still_open]).exists()
    mail = told.get(circulation=first)
    assert links_in(mail) == {decision_path(first)}
    assert "第1回" in mail.subject and "開催の要否" in mail.subject
    assert "会長が不在となったため" in mail.body_text
    every_link_opens_for_its_recipient(told)  # also for one who was not sent the circulation


def test_each_switch_tells_the_new_decider_once(client, council, time_machine):
    circulation = closed(council, time_machine)
    url = reverse("circulation_chair_absence", args=[circulation.pk])
    client.force_login(council.secretariat)

    client.post(url, {"absent": "1"})
    client.post(url, {"absent": "1"})  # no change: nobody told again
    assert list(OutboxMessage.objects.filter(purpose=NEW_DECIDER)
                .values_list("to_email", flat=True)) == [ACTING]  # fmt: skip

    client.post(url, {"absent": "0"})  # the chair decides again
    back = OutboxMessage.objects.filter(purpose=NEW_DECIDER, to_email=CHAIR).get()
    assert "会長の不在が解除されたため" in back.body_text
    assert links_in(back) == {decision_path(circulation)}
    every_link_opens_for_its_recipient([back])

    client.post(url, {"absent": "1"})  # a new switch: told again
    again = OutboxMessage.objects.filter(purpose=NEW_DECIDER, to_email=ACTING)
    assert again.count() == 2
    every_link_opens_for_its_recipient(again)


def test_nobody_is_told_when_the_switch_changes_no_decider(client, council, time_machine):
    """The chair's seat is empty: the acting chair decides whether or not it is marked."""
    circulation = closed(council, time_machine, seat_ends=Role.CHAIR)
    client.force_login(council.secretariat)
    client.post(reverse("circulation_chair_absence", args=[circulation.pk]), {"absent": "1"})
    assert not OutboxMessage.objects.filter(purpose=NEW_DECIDER).exists()


def test_names_and_titles_in_these_mails_stay_text(client, council, time_machine):
    payload = '<img src=x onerror="alert(1)">'
    council.chair.full_name = f"山田{payload}"
    council.chair.save()
    circulation = closed(council, time_machine, title=f"第12回{payload}")
    set_chair_absent(council.committee, True, by=council.secretariat)
    mails = [*summaries(circulation).values(), OutboxMessage.objects.get(purpose=NEW_DECIDER)]
    for mail in mails:
        assert injected_markup(mail.body_html) == [], mail.purpose
        assert payload in visible_text(mail.body_html) and payload in mail.body_text
        assert "&lt;" not in mail.subject + mail.body_text
