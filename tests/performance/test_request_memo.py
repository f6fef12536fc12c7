"""Permission answers are kept for one request only: a page asks the database once, yet no
answer outlives its request or a change of membership."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from portal.models import Membership, Role
from portal.permissions import committees_of, is_secretariat_anywhere, roles_on
from tests.circulation.helpers import sent_circulation
from tests.performance.budgets import statements_of

pytestmark = pytest.mark.django_db


def _send(signal, **kwargs) -> None:
    # As Django's test client does: the test's database connection must stay open.
    signal.disconnect(close_old_connections)
    try:
        signal.send(sender=None, **kwargs)
    finally:
        signal.connect(close_old_connections)


@pytest.fixture
def in_a_request():
    _send(request_started, environ={})
    yield
    _send(request_finished)


def test_within_a_request_the_memberships_are_read_once(council, in_a_request):
    chair = council.chair

    def ask() -> None:
        assert roles_on(chair, council.committee) == {Role.CHAIR}
        assert roles_on(chair, council.other_committee) == set()
        assert [c.name for c in committees_of(chair)] == [council.committee.name]
        assert not is_secretariat_anywhere(chair)

    assert len(statements_of(ask)) == 1
    assert statements_of(ask) == []


def test_a_membership_changed_during_the_request_is_read_again(council, in_a_request):
    member = council.members[0]
    assert roles_on(member, council.committee) == {Role.MEMBER}
    seat = Membership.objects.get(user=member, committee=council.committee)
    seat.term_end = timezone.localdate() - dt.timedelta(days=1)
    seat.term_start = seat.term_end - dt.timedelta(days=10)
    seat.save()
    assert roles_on(member, council.committee) == set()


def test_outside_a_request_every_call_asks_the_database(council):
    member = council.members[0]
    assert roles_on(member, council.committee) == {Role.MEMBER}
    # A bulk update sends no signal: only not keeping anything makes this right.
    Membership.objects.filter(user=member).update(role=Role.ACTING_CHAIR)
    assert roles_on(member, council.committee) == {Role.ACTING_CHAIR}
    assert len(statements_of(lambda: roles_on(member, council.committee))) == 1


def test_nothing_is_kept_from_one_request_to_the_next(client, council):
    """田中 becomes the secretariat between two requests: the second shows him its link."""
    circulation = sent_circulation(council)
    member = council.members[0]
    client.force_login(member)
    url = reverse("circulation_detail", args=[circulation.pk])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=member).update(role=Role.SECRETARIAT)
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("circulation_tracking", args=[circulation.pk]) in page.content.decode()
