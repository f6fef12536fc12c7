"""Two secretariat members seating a chair at the same moment cannot both succeed: the
check runs under a lock on the committee row (PostgreSQL, where row locks exist)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from portal.models import Committee, Membership, Role
from portal.services.errors import Refused
from portal.services.membership import default_term_end, invite_member
from tests.factories import CommitteeFactory, MembershipFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_chair_seated_while_another_invitation_waits_makes_that_one_refused():
    today = timezone.localdate()
    committee = CommitteeFactory(name="情報公開審査会")
    secretariat = UserFactory(email="sato@city.example.jp", full_name="佐藤 事務局")
    MembershipFactory(user=secretariat, committee=committee, role=Role.SECRETARIAT)
    first = UserFactory(email="yamada@example.jp", full_name="山田")
    outcome: dict[str, object] = {}

    def second_secretariat_invites_a_chair() -> None:
        try:
            invite_member(
                committee,
                "木村",
                "kimura@example.jp",
                Role.CHAIR,
                today,
                default_term_end(today),
                by=secretariat,
            )
            outcome["result"] = "seated"
        except Refused as refusal:
            outcome["result"] = str(refusal.message)
        finally:
            connection.close()

    with transaction.atomic():
        # The first secretariat member holds the committee lock, as invite_member does...
        Committee.objects.select_for_update().get(pk=committee.pk)
        other = threading.Thread(target=second_secretariat_invites_a_chair)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive(), "the second invitation must wait for the committee lock"
        # ...and seats a chair before committing.
        Membership.objects.create(
            user=first,
            committee=committee,
            role=Role.CHAIR,
            term_start=today,
            term_end=default_term_end(today),
        )
    other.join(timeout=10)
    assert not other.is_alive()
    assert "すでに会長がいます" in str(outcome["result"])
    assert Membership.objects.filter(committee=committee, role=Role.CHAIR).count() == 1
