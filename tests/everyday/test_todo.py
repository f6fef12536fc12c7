"""The to-do list (やること): what each person has to do next, across their councils, most
urgent first, each item one tap from its page. Read by circulation/reads/todo.py, one
provider per kind of item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation.models import Answer
from circulation.reads.todo import todo_for
from circulation.services.closing import close_circulation
from circulation.services.replies import submit_reply
from portal.models import Membership, Role
from portal.services.membership import set_chair_absent
from tests.circulation.helpers import draft_circulation, sent_circulation
from tests.everyday.helpers import (
    failed_mail,
    held_mail,
    implementing_body_of,
    minutes_waiting,
    question,
)
from tests.factories import CommitteeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def kinds(items) -> list[tuple[str, str]]:
    return [(item.kind, item.title) for item in items]


def closed(council, title: str = "第11回 議事録", *, days_ago: int = 1):
    """Sent a week before its deadline, which passed `days_ago` days ago; closed by beat."""
    now = timezone.now()
    circulation = sent_circulation(council, title=title)
    circulation.deadline = now - dt.timedelta(days=days_ago)
    circulation.save(update_fields=["deadline"])
    assert close_circulation(circulation.pk, now=circulation.deadline + dt.timedelta(seconds=30))
    circulation.refresh_from_db()
    return circulation


# --- Members ---------------------------------------------------------------------------------


def test_a_member_sees_what_awaits_their_reply_soonest_deadline_first(council):
    tanaka = council.members[0]
    later = sent_circulation(council, title="後の書面照会",
                             deadline=timezone.now() + dt.timedelta(days=9))  # fmt: skip
    sooner = sent_circulation(council, title="先の書面照会",
                              deadline=timezone.now() + dt.timedelta(days=2))  # fmt: skip
    items = todo_for(tanaka)
    assert kinds(items) == [("reply", "先の書面照会"), ("reply", "後の書面照会")]
    first = items[0]
    assert first.url == reverse("circulation_detail", args=[sooner.pk])
    assert first.deadline == sooner.deadline
    assert first.committee == council.committee
    assert items[1].url == reverse("circulation_detail", args=[later.pk])


def test_a_reply_takes_the_circulation_off_the_list(council):
    tanaka = council.members[0]
    circulation = sent_circulation(council)
    submit_reply(recipient=circulation.recipients.get(user=tanaka), kind="no_opinion",
                 meeting_needed=False, submitted_by=tanaka)  # fmt: skip
    assert todo_for(tanaka) == []
    assert kinds(todo_for(council.members[1])) == [("reply", circulation.title)]


def test_drafts_and_closed_circulations_await_no_members_reply(council):
    draft_circulation(council, title="下書き")
    closed(council)
    assert todo_for(council.members[0]) == []


def test_a_recipient_whose_term_has_ended_is_not_asked_to_reply(council):
    tanaka = council.members[0]
    sent_circulation(council)
    Membership.objects.filter(user=tanaka).update(term_end=timezone.localdate() - dt.timedelta(1))
    assert todo_for(tanaka) == []


def test_the_outsider_and_the_former_member_have_nothing_to_do(council):
    sent_circulation(council)
    assert todo_for(council.outsider) == []
    assert todo_for(council.former_member) == []


# --- The chair and the acting chair ----------------------------------------------------------


def test_the_chair_sees_the_decision_waiting_with_how_long(council):
    circulation = closed(council, days_ago=2)
    items = [i for i in todo_for(council.chair) if i.kind == "decide"]
    assert len(items) == 1
    decide = items[0]
    assert decide.url == reverse("circulation_decision", args=[circulation.pk])
    assert decide.since == circulation.closed_at
    # Due when the chair would be reminded (the council's setting: 3 days after the close).
    assert decide.due == circulation.closed_at + dt.timedelta(days=3)
    assert not [i for i in todo_for(council.acting_chair) if i.kind == "decide"]


def test_with_the_chair_marked_absent_the_acting_chair_decides(council):
    closed(council)
    set_chair_absent(council.committee, True, by=council.secretariat)
    assert [i.kind for i in todo_for(council.acting_chair)] == ["decide"]
    assert [i.kind for i in todo_for(council.chair)] == []


def test_with_no_chair_sitting_the_acting_chair_decides(council):
    closed(council)
    Membership.objects.filter(committee=council.committee, role=Role.CHAIR).update(
        term_end=timezone.localdate() - dt.timedelta(days=1)
    )
    assert [i.kind for i in todo_for(council.acting_chair)] == ["decide"]


# --- The secretariat and the implementing body -----------------------------------------------


def test_the_secretariat_sees_each_kind_of_waiting_work(council):
    tanaka = council.members[0]
    draft = draft_circulation(council, title="下書きの書面照会")
    open_one = sent_circulation(council, title="受付中の書面照会")
    question(open_one, tanaka)
    failed_mail(open_one, tanaka)
    held_mail(council.committee)
    undecided = closed(council, title="締切の書面照会")
    minutes = minutes_waiting(council)
    found = {item.kind: item for item in todo_for(council.secretariat)}
    assert set(found) == {"answer", "held_mail", "failed_mail", "undecided", "draft",
                          "publish_minutes"}  # fmt: skip
    assert found["answer"].url == reverse("circulation_questions", args=[open_one.pk])
    assert found["answer"].count == 1
    assert found["held_mail"].url == reverse("inbound_list", args=[council.committee.pk])
    assert found["failed_mail"].url.startswith(reverse("circulation_tracking", args=[open_one.pk]))
    assert found["undecided"].url == reverse("circulation_decision", args=[undecided.pk])
    assert found["draft"].url == reverse("circulation_edit", args=[draft.pk])
    assert found["publish_minutes"].url == reverse("meeting_detail", args=[minutes.pk])


def test_answered_questions_and_published_work_leave_the_list(council):
    open_one = sent_circulation(council)
    asked = question(open_one, council.members[0])
    Answer.objects.create(question=asked, text="確定値です。", answered_by=council.secretariat)
    assert todo_for(council.secretariat) == []


def test_another_councils_secretariat_sees_none_of_it(council):
    open_one = sent_circulation(council)
    question(open_one, council.members[0])
    held_mail(council.committee)
    draft_circulation(council)
    assert todo_for(council.other_secretariat) == []


def test_the_implementing_body_sees_the_questions_to_answer_only(council):
    body = implementing_body_of(council.committee)
    open_one = sent_circulation(council)
    question(open_one, council.members[0])
    question(open_one, council.members[1], "第2項の根拠は。")
    held_mail(council.committee)
    draft_circulation(council)
    items = todo_for(body)
    assert kinds(items) == [("answer", open_one.title)]
    assert items[0].count == 2


# --- Order and reach -------------------------------------------------------------------------


def test_most_urgent_first_and_drafts_last(council):
    """Mail held since yesterday is due already; a reply due in two days comes next; a
    draft has no moment and comes last."""
    # 佐藤 also sits on another council as a member.
    other = CommitteeFactory(name="個人情報保護審査会")
    MembershipFactory(user=council.secretariat, committee=other, role=Role.MEMBER)
    draft_circulation(council, title="下書き")
    held_mail(council.committee, received_at=timezone.now() - dt.timedelta(days=1))
    from circulation.models import Circulation, Recipient

    elsewhere = Circulation.objects.create(
        committee=other, title="他の審議会の書面照会", created_by=council.other_secretariat,
        deadline=timezone.now() + dt.timedelta(days=2), state=Circulation.State.OPEN,
        sent_at=timezone.now(),
    )  # fmt: skip
    Recipient.objects.create(circulation=elsewhere, user=council.secretariat, role=Role.MEMBER)
    assert [i.kind for i in todo_for(council.secretariat)] == ["held_mail", "reply", "draft"]
    assert todo_for(council.secretariat)[1].committee == other
