"""会長・職務代理者の選任 at a session: recorded by the secretariat once the session has
begun, it changes the roles through the membership services from the session's day (one
chair and one acting chair at a time), and both are in the log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation.models import Election
from circulation.services.elections import record_election
from circulation.services.meetings import MeetingInvalid, MeetingRefused
from portal.models import AuditEntry, Membership, Role

pytestmark = pytest.mark.django_db


def role_on(council, user, day: dt.date) -> str:
    return Membership.objects.on(day).get(committee=council.committee, user=user).role


@pytest.fixture
def begun(session, time_machine):
    time_machine.move_to(session.starts_at + dt.timedelta(minutes=30), tick=False)
    return session


def test_electing_a_member_as_chair_makes_the_old_chair_a_member(client, council, begun):
    tanaka = council.members[0]
    client.force_login(council.secretariat)
    page = client.get(reverse("session_election", args=[begun.pk]))
    assert page.status_code == 200 and "選任された委員" in page.content.decode()
    response = client.post(
        reverse("session_election", args=[begun.pk]), {"role": "chair", "elected": tanaka.pk}
    )
    assert response.status_code == 302
    day = timezone.localdate(begun.starts_at)
    assert role_on(council, tanaka, day) == Role.CHAIR
    assert role_on(council, council.chair, day) == Role.MEMBER
    assert role_on(council, council.chair, day - dt.timedelta(days=1)) == Role.CHAIR
    chairs = Membership.objects.on(day).filter(committee=council.committee, role=Role.CHAIR)
    assert list(chairs.values_list("user", flat=True)) == [tanaka.pk]
    election = Election.objects.get()
    assert (election.role, election.elected, election.recorded_by) == (
        "chair", tanaka, council.secretariat
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="committee.member.role_changed").count() == 2
    entry = AuditEntry.objects.get(action="session.election.recorded")
    assert entry.data["previous"] == council.chair.email and entry.committee == council.committee
    page = client.get(reverse("session_detail", args=[begun.pk])).content.decode()
    assert "会長: 田中 委員" in page


def test_the_acting_chair_elected_chair_leaves_the_acting_seat_empty(council, begun):
    record_election(begun.pk, by=council.secretariat, role="chair",
                    elected_id=council.acting_chair.pk)  # fmt: skip
    day = timezone.localdate(begun.starts_at)
    seats = Membership.objects.on(day).filter(committee=council.committee)
    assert list(seats.filter(role=Role.CHAIR).values_list("user", flat=True)) == [
        council.acting_chair.pk
    ]
    assert not seats.filter(role=Role.ACTING_CHAIR).exists()
    record_election(begun.pk, by=council.secretariat, role="acting_chair",
                    elected_id=council.members[1].pk)  # fmt: skip
    assert role_on(council, council.members[1], day) == Role.ACTING_CHAIR


def test_elections_are_refused_before_the_start_to_members_and_for_outsiders(
    council, session, time_machine
):
    with pytest.raises(MeetingRefused) as early:
        record_election(session.pk, by=council.secretariat, role="chair",
                        elected_id=council.members[0].pk)  # fmt: skip
    assert early.value.code == "not_started"
    time_machine.move_to(session.starts_at + dt.timedelta(minutes=1), tick=False)
    with pytest.raises(MeetingRefused) as member:
        record_election(session.pk, by=council.chair, role="chair",
                        elected_id=council.members[0].pk)  # fmt: skip
    assert member.value.code == "not_secretariat"
    with pytest.raises(MeetingInvalid, match="委員である人だけ"):
        record_election(session.pk, by=council.secretariat, role="chair",
                        elected_id=council.outsider.pk)  # fmt: skip
    with pytest.raises(MeetingInvalid, match="すでに会長です"):
        record_election(session.pk, by=council.secretariat, role="chair",
                        elected_id=council.chair.pk)  # fmt: skip
    assert not Election.objects.exists()
    assert role_on(council, council.chair, timezone.localdate()) == Role.CHAIR
