"""Deadline storms: many councils closing at the same 17:00.

Beat's tick finds what is due with one query per kind and hands each due circulation to a
task of its own, so the closes run on every worker process at once; the tick costs the same
few statements whether 3 or 30 are due, and one close costs the same few statements in a
council of 5 or of 60.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation.jobs import due
from circulation.models import Circulation, OutboxMessage
from circulation.services.closing import close_circulation
from portal.celery import app as celery_app
from portal.models import Membership, Role
from portal.permissions import (
    Action,
    closing_summary_links,
    deciding_seat,
    may_on_circulation,
    may_see_circulation,
)
from tests.circulation.helpers import sent_circulation
from tests.decision.helpers import committee_with_members

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 3, 1, 0, 0, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2027, 3, 31, 8, 0, tzinfo=dt.UTC)  # 17:00 in Japan
AFTER = DEADLINE + dt.timedelta(seconds=60)  # past the replies' grace (KAIRAN_REPLY_GRACE_SECONDS)


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, tuple]]:
    """What the tick publishes to the broker (nothing runs)."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args, **kw: sent.append((name, tuple(args)))
    )
    return sent


def councils_with_one_circulation_each(council, count: int, size: int = 4) -> list[Circulation]:
    circulations = []
    with time_machine.travel(T0, tick=False):
        for index in range(count):
            committee, _ = committee_with_members(f"審議会{index}", size, council.secretariat)
            circulations.append(
                sent_circulation(
                    dataclasses.replace(council, committee=committee), deadline=DEADLINE
                )
            )
    return circulations


@pytest.mark.hand_over
def test_the_tick_hands_each_due_circulation_to_a_close_task_of_its_own(council, published):
    circulations = councils_with_one_circulation_each(council, 5)
    report = due.run_due_work(AFTER)

    assert sorted(published) == sorted((due.CLOSE, (c.pk, AFTER.isoformat())) for c in circulations)
    assert report.handed["closes"] == sorted(c.pk for c in circulations)
    # Nothing closed here: the workers do it.
    assert set(Circulation.objects.values_list("state", flat=True)) == {Circulation.State.OPEN}
    assert not OutboxMessage.objects.filter(purpose="circulation.closing_summary").exists()


@pytest.mark.hand_over
def test_the_tick_costs_the_same_few_statements_for_3_or_30_due_circulations(council, published):
    def statements(count: int) -> int:
        Circulation.objects.update(state=Circulation.State.ARCHIVED)  # out of the way
        councils_with_one_circulation_each(council, count, size=2)
        with CaptureQueriesContext(connection) as captured:
            due.run_due_work(AFTER)
        return len(captured)

    statements(1)  # warm: what a process reads once (content types)
    three, thirty = statements(3), statements(30)
    assert three == thirty
    assert thirty <= 10, thirty  # two of them: the consultations' open riders (jobs/riders.py)
    assert len([name for name, _ in published if name == due.CLOSE]) == 34


@pytest.mark.hand_over
def test_a_close_handed_over_is_not_handed_again_until_the_task_must_have_been_lost(
    council, published, settings
):
    settings.KAIRAN_DUE_WORK_REQUEUE_SECONDS = 120
    (circulation,) = councils_with_one_circulation_each(council, 1)
    due.run_due_work(AFTER)
    due.run_due_work(AFTER + dt.timedelta(seconds=30))  # the next tick: the task is queued
    assert [args[0] for name, args in published if name == due.CLOSE] == [circulation.pk]

    due.run_due_work(AFTER + dt.timedelta(seconds=121))  # the broker lost it: again
    assert [args[0] for name, args in published if name == due.CLOSE] == [circulation.pk] * 2


@pytest.fixture
def published_at(monkeypatch) -> list[tuple[str, tuple, dt.datetime | None]]:
    """What the tick publishes, with each task's ETA (nothing runs)."""
    sent: list[tuple[str, tuple, dt.datetime | None]] = []

    def send_task(name, args, eta=None, **kw):
        sent.append((name, tuple(args), eta))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    return sent


@pytest.mark.hand_over
def test_a_close_due_before_the_next_tick_is_handed_over_to_run_at_its_own_moment(
    council, published_at, settings
):
    """At 17:00 the storm starts at the deadline plus the grace, not at the tick after it."""
    settings.KAIRAN_REPLY_GRACE_SECONDS, settings.KAIRAN_DUE_WORK_SECONDS = 10, 10
    (soon, later) = councils_with_one_circulation_each(council, 2)
    Circulation.objects.filter(pk=later.pk).update(deadline=DEADLINE + dt.timedelta(minutes=1))
    moment = DEADLINE + dt.timedelta(seconds=10)
    tick = DEADLINE + dt.timedelta(seconds=3)  # 7 s before the close; the next tick is after

    report = due.run_due_work(tick)

    assert report.handed["closes"] == [soon.pk]
    closes = [call for call in published_at if call[0] == due.CLOSE]
    assert closes == [(due.CLOSE, (soon.pk, moment.isoformat()), moment)]
    # The next tick does not hand it over again; the task closes at its moment.
    due.run_due_work(tick + dt.timedelta(seconds=10))
    assert [args[0] for name, args, _ in published_at if name == due.CLOSE] == [soon.pk]
    from circulation.jobs import tasks

    assert tasks.close_due_circulation.apply((soon.pk, moment.isoformat())).get() is True
    soon.refresh_from_db()
    assert (soon.state, soon.closed_at) == (Circulation.State.CLOSED, moment)


@pytest.mark.hand_over
def test_a_deadline_extended_after_its_close_was_handed_over_closes_at_the_new_one(
    council, published_at, settings
):
    from circulation.jobs import tasks
    from circulation.services.deadlines import extend_deadline

    settings.KAIRAN_REPLY_GRACE_SECONDS, settings.KAIRAN_DUE_WORK_SECONDS = 10, 10
    (circulation,) = councils_with_one_circulation_each(council, 1)
    moment = DEADLINE + dt.timedelta(seconds=10)
    due.run_due_work(DEADLINE + dt.timedelta(seconds=3))
    assert [eta for name, _, eta in published_at if name == due.CLOSE] == [moment]

    new_deadline = DEADLINE + dt.timedelta(seconds=40)
    extend_deadline(
        circulation.pk,
        new_deadline=new_deadline,
        reason="資料の差し替え",
        by=council.secretariat,
        now=DEADLINE - dt.timedelta(seconds=1),
    )
    # The task handed over for the old deadline runs and does nothing.
    assert tasks.close_due_circulation.apply((circulation.pk, moment.isoformat())).get() is False
    # The tick before the new moment hands the new close over at once (not 120 s later).
    new_moment = new_deadline + dt.timedelta(seconds=10)
    due.run_due_work(new_deadline + dt.timedelta(seconds=1))
    assert published_at[-1] == (due.CLOSE, (circulation.pk, new_moment.isoformat()), new_moment)
    assert tasks.close_due_circulation.apply((circulation.pk, new_moment.isoformat())).get()
    circulation.refresh_from_db()
    assert circulation.closed_at == new_moment


def test_a_close_task_that_runs_twice_closes_once_and_summarises_once(council):
    (circulation,) = councils_with_one_circulation_each(council, 1)
    from circulation.jobs import tasks

    first = tasks.close_due_circulation.apply((circulation.pk, AFTER.isoformat())).get()
    second = tasks.close_due_circulation.apply((circulation.pk, AFTER.isoformat())).get()
    assert (first, second) == (True, False)
    summaries = OutboxMessage.objects.filter(
        circulation=circulation, purpose="circulation.closing_summary"
    )
    assert sorted(summaries.values_list("to_email", flat=True)) == sorted(
        {
            council.secretariat.email,
            *Membership.objects.filter(
                committee=circulation.committee, role=Role.CHAIR
            ).values_list("user__email", flat=True),
        }
    )


@pytest.mark.parametrize("size", [5, 60])
def test_one_close_costs_the_same_statements_in_a_small_and_a_large_council(council, size):
    (circulation,) = councils_with_one_circulation_each(council, 1, size=size)
    with CaptureQueriesContext(connection) as captured:
        assert close_circulation(circulation.pk, now=AFTER)
    statements = [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]
    # the compare-and-swap, the circulation, its audit entry, the deciders' and the
    # secretariat's seats, the recipients with their replies, one INSERT of the summaries
    assert len(statements) == 6, statements


@pytest.mark.parametrize("chair_absent", [False, True])
def test_each_summary_links_where_the_permission_rules_let_its_reader_in(council, chair_absent):
    committee = council.committee
    committee.chair_absent = chair_absent
    committee.save()
    with time_machine.travel(T0, tick=False):
        circulation = sent_circulation(council, deadline=DEADLINE)
    # A second chair-role seat appointed after sending: not a recipient of this circulation.
    from tests.factories import MembershipFactory, UserFactory

    late = UserFactory(email="late@example.jp", full_name="後任 代理")
    MembershipFactory(user=late, committee=committee, role=Role.ACTING_CHAIR)
    with time_machine.travel(AFTER, tick=False):
        assert close_circulation(circulation.pk, now=AFTER)
        circulation.refresh_from_db()
        seats = list(
            Membership.objects.on(AFTER.date()).filter(
                committee=committee,
                role__in=[Role.CHAIR, Role.ACTING_CHAIR, Role.SECRETARIAT],
            )
        )
        decider_role, _ = deciding_seat(committee, seats)
        recipients = set(circulation.recipients.values_list("user_id", flat=True))
        links = closing_summary_links(seats, decider_role, recipients)
        for seat in seats:
            person = seat.user
            if may_on_circulation(person, Action.VIEW_DECISION_PAGE, circulation):
                expected = "decision"
            elif may_see_circulation(person, circulation):
                expected = "circulation"
            else:
                expected = ""
            assert links[person.pk] == expected, (person, links[person.pk], expected)
    assert set(links.values()) >= {"decision"}
