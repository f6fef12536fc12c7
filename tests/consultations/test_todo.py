"""Consultations in the to-do list (やること): a member's vote awaited (賛否待ち), the riders
(付言) awaiting the implementing body's response — for the body's staff of the consultation,
one item per rider, and for the secretariat, one item per council — each one tap from its
page, and nobody else's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.jobs.riders import queue_rider_reminders
from circulation.models import Consultation, Rider
from circulation.reads.todo import todo_for
from circulation.reads.todo_consultations import months_after
from circulation.services.consultation_results import RiderDraft, record_meeting_result
from circulation.services.consultations import update_consultation_rules
from circulation.services.questions import ask_question
from circulation.services.reports import issue_report
from circulation.services.riders import record_rider_response
from tests.consultations import helpers as h

pytestmark = pytest.mark.django_db
RIDER = "定期的に操作記録を確認すること。"


def of_kind(items, kind: str) -> list:
    return [item for item in items if item.kind == kind]


def issued_with_riders(council, staff, *, number: int = 65, riders: int = 1) -> list[Rider]:
    circulation = h.register(council, staff=staff, number=number, items=["クラウドの利用"])
    item = h.items_of(circulation)[0]
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"},
        riders=[RiderDraft(f"{RIDER}({n + 1})") for n in range(riders)],
        reasons="公益上の必要性があるため。",
    )  # fmt: skip
    issue_report(
        circulation.pk, by=council.secretariat, report_date=dt.date.today(),
        version=Consultation.objects.get(pk=circulation.pk).report_version,
    )  # fmt: skip
    return list(Rider.objects.filter(consultation_id=circulation.pk).order_by("order", "id"))


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Members: a vote awaited -----------------------------------------------------------------


def test_a_consultation_awaiting_the_members_vote_is_a_vote_item_not_a_reply(council, body):
    circulation = h.sent(council, staff=[body])
    tanaka = council.members[0]
    [item] = todo_for(tanaka)
    assert item.kind == "vote" and str(item.label) == "賛否待ち"
    assert item.title == f"諮問第65号 {circulation.title}"
    assert item.url == reverse("consultation_detail", args=[circulation.pk]) + "#vote"
    assert item.deadline == item.due == circulation.deadline
    h.vote(circulation, tanaka, "approve", "abstain")
    assert todo_for(tanaka) == []


def test_a_vote_is_awaited_only_from_a_sitting_recipient(council, body, other_body):
    h.sent(council, staff=[body])
    for person in (council.outsider, council.former_member, council.other_secretariat, body,
                   other_body):  # fmt: skip
        assert of_kind(todo_for(person), "vote") == [], person
    assert [i.kind for i in todo_for(council.chair)] == ["vote"]  # the chair votes too


def test_the_home_shows_the_vote_once_in_the_to_do_list(client, council, body):
    circulation = h.sent(council, staff=[body])
    client.force_login(council.members[0])
    page = page_text(client.get(reverse("home")))
    assert page.count(circulation.title) == 1
    assert 'class="card todo todo--vote"' in page


# --- The implementing body: questions and riders ----------------------------------------------


def test_staff_of_another_consultation_are_not_given_its_questions(council, body, other_body):
    circulation = h.sent(council, staff=[body])
    ask_question(circulation.pk, by=council.members[0], text="委託先はどこですか。")
    assert [i.kind for i in todo_for(body)] == ["answer"]
    assert todo_for(other_body) == []
    assert [i.kind for i in todo_for(council.secretariat)] == ["answer"]


def test_the_body_is_given_each_rider_until_it_responds_and_again_when_reminded(
    council, body, other_body, time_machine
):
    update_consultation_rules(council.committee, by=council.secretariat, rider_reminder_months=3)
    first, second = issued_with_riders(council, [body], riders=2)
    issued = first.consultation.issued_at
    items = todo_for(body)
    assert [i.kind for i in items] == ["rider_response", "rider_response"]
    assert items[0].title == f"諮問第65号 付言: {first.text}"
    assert items[0].url == reverse("rider_respond", args=[first.consultation_id, first.pk])
    assert str(items[0].action) == "対応状況を登録"
    assert items[0].due == months_after(issued, 3) and items[0].since == issued
    assert todo_for(other_body) == []  # not theirs
    assert of_kind(todo_for(council.members[0]), "rider_response") == []

    record_rider_response(first.pk, by=body, text="契約に入れました。",
                          responded_on=dt.date.today(), done=False)  # fmt: skip
    assert [i.title for i in todo_for(body)] == [f"諮問第65号 付言: {second.text}"]
    record_rider_response(second.pk, by=body, text="対応しました。",
                          responded_on=dt.date.today(), done=True)  # fmt: skip
    assert todo_for(body) == []

    # Three months without a new response: beat reminds, and the rider is awaited again.
    time_machine.move_to(issued + dt.timedelta(days=100))
    assert queue_rider_reminders(first.consultation.issued_at + dt.timedelta(days=100))
    [item] = todo_for(body)
    assert item.url.endswith(f"/riders/{first.pk}/respond/")
    assert item.due == Rider.objects.get(pk=first.pk).reminded_at


def test_the_secretariat_is_given_the_councils_riders_without_a_response_in_one_item(
    client, council, body
):
    riders = issued_with_riders(council, [body], riders=2)
    issued_with_riders(council, [body], number=66)
    [item] = of_kind(todo_for(council.secretariat), "rider_unanswered")
    assert item.count == 3
    assert item.url == reverse("committee_riders", args=[council.committee.pk])
    # The default rules: the reminder after six months, so the item is due then.
    assert item.due == months_after(riders[0].consultation.issued_at, 6)
    assert todo_for(council.other_secretariat) == []
    client.force_login(council.secretariat)
    page = page_text(client.get(reverse("home")))
    assert "対応状況が未登録の付言" in page and "3件" in page
    assert client.get(item.url).status_code == 200  # one tap from its page


def test_riders_of_a_council_that_turned_the_reminder_off_come_after_dated_work(council, body):
    update_consultation_rules(council.committee, by=council.secretariat, rider_reminder_months=0)
    issued_with_riders(council, [body])
    h.sent(council, staff=[body], number=67)  # a vote awaited, with its deadline
    [item] = of_kind(todo_for(body), "rider_response")
    assert item.due is None
    secretariat = todo_for(council.secretariat)
    assert secretariat[-1].kind == "rider_unanswered" and secretariat[-1].due is None


def test_months_after_counts_calendar_months():
    moment = dt.datetime(2027, 8, 31, 9, 0, tzinfo=dt.UTC)
    assert months_after(moment, 6) == dt.datetime(2028, 2, 29, 9, 0, tzinfo=dt.UTC)
    assert months_after(moment, 4) == dt.datetime(2027, 12, 31, 9, 0, tzinfo=dt.UTC)


# --- The chair: a written result to confirm ---------------------------------------------------


def test_a_closed_consultation_asks_the_chair_to_confirm_its_result_not_to_convene(council, body):
    circulation = h.closed(h.sent(council, staff=[body]))
    [item] = of_kind(todo_for(council.chair), "decide")
    assert str(item.label) == "結果の確定" and str(item.action) == "賛否の集計を見て結果を確定する"
    assert item.url == reverse("consultation_result", args=[circulation.pk])
    [follow_up] = of_kind(todo_for(council.secretariat), "undecided")
    assert str(follow_up.label) == "結果の確定待ち"
    assert follow_up.url == reverse("consultation_result", args=[circulation.pk])
