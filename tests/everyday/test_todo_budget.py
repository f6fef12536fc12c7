"""The to-do list's queries: as many statements for a person on one council of each kind as
on five, whatever the work waiting on each; and within the budget (one statement for the
person's seats, at most one per kind of item)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from circulation.models import Circulation, Consultation, Meeting, MeetingMinutes, Recipient, Rider
from circulation.reads.todo import PROVIDERS, todo_for
from portal.models import Committee, Role, User
from tests.everyday.helpers import failed_mail, held_mail, question
from tests.factories import CommitteeFactory, MembershipFactory, UserFactory
from tests.performance.budgets import describe, statements_of

pytestmark = pytest.mark.django_db

# The person's seats (one statement), then one statement per kind of item at most.
TODO_BUDGET = 1 + len(PROVIDERS)
ROLES = (Role.SECRETARIAT, Role.CHAIR, Role.ACTING_CHAIR, Role.MEMBER, Role.IMPLEMENTING_BODY)


def circulation(committee: Committee, by: User, state: str, **fields) -> Circulation:
    now = timezone.now()
    values = {
        "deadline": now + dt.timedelta(days=5),
        "sent_at": None if state == Circulation.State.DRAFT else now - dt.timedelta(days=2),
        **fields,
    }
    return Circulation.objects.create(
        committee=committee, title=f"{committee.name} {state}", created_by=by, state=state,
        **values,
    )  # fmt: skip


def busy_council(person: User, role: str, number: int) -> None:
    """A council where `person` holds `role`, with one piece of every kind of work waiting
    (a draft, an open circulation sent to them with a question and a failed mail, a closed
    one, held mail, minutes to publish)."""
    committee = CommitteeFactory(name=f"審議会 {role} {number}")
    MembershipFactory(user=person, committee=committee, role=role)
    clerk = UserFactory(full_name=f"事務局 {number}")
    MembershipFactory(user=clerk, committee=committee, role=Role.SECRETARIAT)
    member = UserFactory(full_name=f"委員 {number}")
    MembershipFactory(user=member, committee=committee, role=Role.MEMBER)
    now = timezone.now()
    circulation(committee, clerk, Circulation.State.DRAFT)
    sent = circulation(committee, clerk, Circulation.State.OPEN)
    for user in (person, member):
        Recipient.objects.create(circulation=sent, user=user, role=Role.MEMBER)
    question(sent, member)
    failed_mail(sent, member)
    circulation(committee, clerk, Circulation.State.CLOSED, deadline=now - dt.timedelta(days=1),
                closed_at=now - dt.timedelta(days=1))  # fmt: skip
    held_mail(committee)
    decided = circulation(committee, clerk, Circulation.State.DECIDED,
                          deadline=now - dt.timedelta(days=9))  # fmt: skip
    meeting = Meeting.objects.create(
        circulation=decided, committee=committee, starts_at=now - dt.timedelta(days=2),
        ends_at=now - dt.timedelta(days=2, hours=-2), place="会議室",
        reminder_at=now - dt.timedelta(days=3), scheduled_by=clerk, updated_by=clerk,
    )  # fmt: skip
    MeetingMinutes.objects.create(
        meeting=meeting, version=1, title="会議録", file="minutes/x", original_name="会議録.pdf",
        content_type="application/pdf", size=1, sha256=hashlib.sha256(b"x").hexdigest(),
        uploaded_by=clerk,
    )  # fmt: skip
    consultations(committee, person, clerk)


def consultations(committee: Committee, person: User, clerk: User) -> None:
    """A consultation open for the person's vote, and an issued one (the person its
    implementing body's staff) with a rider awaiting a response."""
    now = timezone.now()
    for number, state in ((65, Circulation.State.OPEN), (66, Circulation.State.ARCHIVED)):
        circ = circulation(committee, clerk, state, kind=Circulation.Kind.CONSULTATION)
        consultation = Consultation.objects.create(
            circulation=circ, committee=committee, number=number, department="中央地域センター",
            received_on=now.date(), reason="…",
            issued_at=None if state == Circulation.State.OPEN else now - dt.timedelta(days=1),
        )  # fmt: skip
        consultation.staff.add(person)
        if state == Circulation.State.OPEN:
            Recipient.objects.create(circulation=circ, user=person, role=Role.MEMBER)
        else:
            Rider.objects.create(consultation=consultation, text="操作記録を確認すること。",
                                 adopted_by=clerk)  # fmt: skip


def grow(person: User, start: int, councils: int) -> None:
    for number in range(start, start + councils):
        for role in ROLES:
            busy_council(person, role, number)


def test_the_list_costs_the_same_for_one_council_of_each_kind_as_for_five(db):
    person = UserFactory(email="busy@example.jp", full_name="多忙 太郎")
    grow(person, 0, 1)
    small_items = todo_for(person)
    small = statements_of(lambda: todo_for(person))
    grow(person, 1, 4)
    large_items = todo_for(person)
    large = statements_of(lambda: todo_for(person))
    assert len(large_items) > len(small_items) >= 11, "every kind of item is in the list"
    assert {item.kind for item in small_items} == {
        "reply", "decide", "answer", "held_mail", "failed_mail", "undecided", "draft",
        "publish_minutes", "vote", "rider_response", "rider_unanswered", "record_attendance",
    }  # fmt: skip
    assert len(small) == len(large), f"small:\n{describe(small)}\nlarge:\n{describe(large)}"
    assert len(large) <= TODO_BUDGET, describe(large)


def test_someone_without_seats_costs_one_statement(council):
    assert len(statements_of(lambda: todo_for(council.outsider))) == 1


def test_a_member_pays_only_for_the_kinds_that_concern_members(council):
    """Seats as a member only: the seats, the replies and the votes awaited (one query),
    the sessions awaiting the member's attendance answer and the minutes to check (委員確認);
    nothing else is asked."""
    statements = statements_of(lambda: todo_for(council.members[0]))
    assert len(statements) == 4, describe(statements)
