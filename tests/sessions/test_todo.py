"""やること of sessions: a member sees the sessions awaiting their attendance answer; the
secretariat sees the sessions that ended without the attendance recorded. Each costs one
statement whatever the number of councils."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation.models import Attendance, Meeting
from circulation.reads import todo_sessions
from circulation.reads.todo import todo_for
from circulation.services.attendance import answer_attendance
from portal.models import Role, User
from tests.factories import CommitteeFactory, MembershipFactory, UserFactory
from tests.performance.budgets import describe, statements_of

pytestmark = pytest.mark.django_db


def test_a_member_is_asked_to_answer_until_they_do_or_the_session_starts(
    council, session, time_machine
):
    tanaka = council.members[0]
    items = [i for i in todo_for(tanaka) if i.kind == "attendance"]
    assert len(items) == 1
    assert items[0].url == reverse("session_detail", args=[session.pk])
    assert items[0].title == session.label and str(items[0].action) == "出欠を回答する"
    answer_attendance(session.pk, by=tanaka, answer="absent")
    assert not [i for i in todo_for(tanaka) if i.kind == "attendance"]
    time_machine.move_to(session.starts_at, tick=False)
    assert not [i for i in todo_for(council.members[1]) if i.kind == "attendance"]


def test_the_secretariat_is_asked_to_record_attendance_after_the_session(
    client, council, session, time_machine
):
    assert not [i for i in todo_for(council.secretariat) if i.kind == "record_attendance"]
    time_machine.move_to(session.ends_at + dt.timedelta(minutes=1), tick=False)
    items = [i for i in todo_for(council.secretariat) if i.kind == "record_attendance"]
    assert [i.url for i in items] == [reverse("session_record", args=[session.pk])]
    assert not [i for i in todo_for(council.chair) if i.kind == "record_attendance"]
    client.force_login(council.secretariat)
    client.post(reverse("session_record", args=[session.pk]), {"observers": "0"})
    assert not [i for i in todo_for(council.secretariat) if i.kind == "record_attendance"]


def _council_with_sessions(person: User, role: str, number: int) -> None:
    committee = CommitteeFactory(name=f"審議会 {role} {number}")
    MembershipFactory(user=person, committee=committee, role=role)
    clerk = UserFactory(full_name=f"事務局 {number}")
    MembershipFactory(user=clerk, committee=committee, role=Role.SECRETARIAT)
    now = timezone.now()
    for starts in (now + dt.timedelta(days=3), now - dt.timedelta(days=3)):
        meeting = Meeting.objects.create(
            committee=committee, number=number, title="定例会", starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2), place="会議室", reminder_at=starts,
            scheduled_by=clerk, updated_by=clerk,
        )  # fmt: skip
        Attendance.objects.create(meeting=meeting, user=person)


def test_each_provider_costs_one_statement_for_one_council_or_five(db):
    person = UserFactory(email="busy@example.jp", full_name="多忙 太郎")
    providers = (todo_sessions.attendance_to_answer, todo_sessions.attendance_to_record)

    def grow(start: int, count: int) -> None:
        for number in range(start, start + count):
            _council_with_sessions(person, Role.MEMBER, number)
            _council_with_sessions(person, Role.SECRETARIAT, number)

    grow(0, 1)
    seats = _seats(person)
    small = [len(statements_of(lambda p=p: p(seats))) for p in providers]
    small_items = [len(p(seats)) for p in providers]
    grow(1, 4)
    seats = _seats(person)
    large = [len(statements_of(lambda p=p: p(seats))) for p in providers]
    large_items = [len(p(seats)) for p in providers]
    assert small_items == [1, 1] and large_items == [5, 5]
    assert small == large == [1, 1], describe(statements_of(lambda: todo_for(person)))


def _seats(person: User):
    from circulation.reads.todo_items import Seats
    from portal.permissions import memberships_of

    now = timezone.now()
    return Seats(user=person, now=now, memberships=memberships_of(person, timezone.localdate(now)))
