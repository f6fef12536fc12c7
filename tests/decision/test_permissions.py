"""The permission rules of the decision and its record (portal/permissions.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from circulation.models import Circulation
from circulation.services.decisions import decide
from portal.models import Role
from portal.permissions import Action, may_on_circulation, may_see_member_names
from portal.services.membership import set_chair_absent
from tests.decision.helpers import REASON, end_chair_term
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def person(council, persona: str):
    return council.members[0] if persona == "member" else getattr(council, persona)


@pytest.mark.parametrize(
    ("persona", "decide_", "page", "record"),
    [
        ("chair", True, True, False),
        ("acting_chair", False, False, False),
        ("member", False, False, False),
        ("secretariat", False, True, True),
    ],
)
def test_once_closed(council, closed, persona, decide_, page, record):
    who, circulation = person(council, persona), closed.circulation
    assert may_on_circulation(who, Action.DECIDE, circulation) is decide_
    assert may_on_circulation(who, Action.VIEW_DECISION_PAGE, circulation) is page
    assert may_on_circulation(who, Action.VIEW_DECISION_RECORD, circulation) is record


@pytest.mark.parametrize(
    ("persona", "page", "record"),
    [
        ("chair", True, True),
        ("acting_chair", False, True),
        ("member", False, True),
        ("secretariat", True, True),
    ],
)
def test_once_decided(council, closed, persona, page, record):
    decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)
    circulation = closed.reload()
    who = person(council, persona)
    assert may_on_circulation(who, Action.DECIDE, circulation) is False
    assert may_on_circulation(who, Action.VIEW_DECISION_PAGE, circulation) is page
    assert may_on_circulation(who, Action.VIEW_DECISION_RECORD, circulation) is record


def test_while_open_only_the_secretariat_sees_the_decision_page_and_record(council, still_open):
    circulation = still_open.circulation
    for persona in ("chair", "acting_chair", "member"):
        who = person(council, persona)
        assert not may_on_circulation(who, Action.DECIDE, circulation)
        assert not may_on_circulation(who, Action.VIEW_DECISION_PAGE, circulation)
        assert not may_on_circulation(who, Action.VIEW_DECISION_RECORD, circulation)
    assert may_on_circulation(council.secretariat, Action.VIEW_DECISION_PAGE, circulation)


def test_the_chair_absent_moves_the_decision_to_the_acting_chair(council, closed):
    set_chair_absent(council.committee, True, by=council.secretariat)
    circulation = closed.reload()
    assert not may_on_circulation(council.chair, Action.DECIDE, circulation)
    assert may_on_circulation(council.acting_chair, Action.DECIDE, circulation)
    assert not may_on_circulation(council.chair, Action.VIEW_DECISION_PAGE, circulation)
    assert may_on_circulation(council.acting_chair, Action.VIEW_DECISION_PAGE, circulation)


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("secretariat", True), ("chair", True), ("acting_chair", True), ("member", False)],
)
def test_who_sees_members_names(council, closed, persona, sees):
    assert may_see_member_names(person(council, persona), closed.circulation) is sees


def test_members_see_names_when_the_committee_shows_them(council, closed):
    council.committee.show_member_names = True
    council.committee.save()
    assert may_see_member_names(council.members[0], closed.reload())


def test_a_chair_appointed_after_sending_sees_and_decides(council, closed):
    today = closed.decide_at.date()
    end_chair_term(council, today - dt.timedelta(days=1))
    new_chair = UserFactory(email="kimura@example.jp", full_name="木村 新会長")
    MembershipFactory(user=new_chair, committee=council.committee, role=Role.CHAIR,
                      term_start=today, term_end=today + dt.timedelta(days=730))  # fmt: skip
    circulation = closed.reload()
    assert not circulation.recipients.filter(user=new_chair).exists()
    assert may_on_circulation(new_chair, Action.VIEW_CIRCULATION, circulation)
    assert may_on_circulation(new_chair, Action.DECIDE, circulation)
    assert not may_on_circulation(council.acting_chair, Action.DECIDE, circulation)
    decide(circulation.pk, convene=False, reason="不要", by=new_chair)
    assert closed.reload().state == Circulation.State.DECIDED
    assert may_on_circulation(new_chair, Action.VIEW_DECISION_PAGE, closed.circulation)


def test_a_new_chair_does_not_see_a_circulation_that_is_still_open(council, still_open):
    today = (still_open.deadline - dt.timedelta(days=1)).date()
    end_chair_term(council, today - dt.timedelta(days=1))
    new_chair = UserFactory(email="kimura@example.jp", full_name="木村 新会長")
    MembershipFactory(user=new_chair, committee=council.committee, role=Role.CHAIR,
                      term_start=today, term_end=today + dt.timedelta(days=730))  # fmt: skip
    assert not may_on_circulation(new_chair, Action.VIEW_CIRCULATION, still_open.circulation)
