"""Who may do what on a committee: every persona × every committee-level action, and who
decides whether to convene."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from portal.models import Membership, Role
from portal.permissions import Action, acting_decider_role, committee_or_404, may_on_committee
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

V, M, C, A = (
    Action.VIEW_COMMITTEE,
    Action.MANAGE_MEMBERS,
    Action.MANAGE_CIRCULATIONS,
    Action.VIEW_AUDIT_LOG,
)
ALL = (V, M, C, A)

# persona -> the actions allowed on 住民基本台帳ネットワークシステム管理運用審議会
MATRIX = {
    "secretariat": {V, M, C, A},
    "chair": {V},
    "acting_chair": {V},
    "member": {V},
    "implementing_body": {V},
    "former_member": set(),
    "outsider": set(),
    "other_secretariat": set(),
    # Django's staff run the installation; that gives them no council: they see only the
    # mail that belongs to no council (tests/mail_replies/test_mail_of_no_council.py).
    "site_staff": set(),
}


@pytest.fixture
def personas(council):
    implementing = UserFactory(email="jisshi@city.example.jp", full_name="実施機関 担当")
    MembershipFactory(user=implementing, committee=council.committee, role=Role.IMPLEMENTING_BODY)
    return {
        "secretariat": council.secretariat,
        "chair": council.chair,
        "acting_chair": council.acting_chair,
        "member": council.members[0],
        "implementing_body": implementing,
        "former_member": council.former_member,
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "site_staff": UserFactory(email="admin@city.example.jp", is_staff=True, is_superuser=True),
    }


@pytest.mark.parametrize("persona", sorted(MATRIX))
@pytest.mark.parametrize("action", ALL, ids=lambda a: a.value)
def test_role_action_matrix(council, personas, persona, action):
    user = personas[persona]
    allowed = action in MATRIX[persona]
    assert may_on_committee(user, action, council.committee) is allowed
    if allowed:
        assert committee_or_404(user, council.committee.pk, action) == council.committee
    elif MATRIX[persona]:  # on the committee, but not for this: 403
        with pytest.raises(PermissionDenied):
            committee_or_404(user, council.committee.pk, action)
    else:  # not on the committee at all: it does not exist for them
        with pytest.raises(Http404):
            committee_or_404(user, council.committee.pk, action)


def test_the_other_councils_secretariat_manages_only_its_own_council(council):
    other = council.other_committee
    assert may_on_committee(council.other_secretariat, M, other)
    assert not may_on_committee(council.secretariat, V, other)


def test_a_future_member_has_no_access_before_the_term_begins(council):
    future = UserFactory(email="kimura@example.jp")
    MembershipFactory(
        user=future,
        committee=council.committee,
        role=Role.MEMBER,
        term_start=timezone.localdate() + dt.timedelta(days=1),
    )
    assert not may_on_committee(future, V, council.committee)


def test_the_chair_decides_while_present(council):
    assert acting_decider_role(council.committee) == Role.CHAIR


def test_the_acting_chair_decides_when_the_chair_is_marked_absent(council):
    council.committee.chair_absent = True
    council.committee.save()
    assert acting_decider_role(council.committee) == Role.ACTING_CHAIR


def test_the_acting_chair_decides_when_the_chairs_seat_is_empty(council):
    Membership.objects.filter(committee=council.committee, role=Role.CHAIR).update(
        term_end=timezone.localdate() - dt.timedelta(days=1)
    )
    assert acting_decider_role(council.committee) == Role.ACTING_CHAIR
    # ...and on a day when the chair still sat, the chair decided.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert acting_decider_role(council.committee, yesterday) == Role.CHAIR
