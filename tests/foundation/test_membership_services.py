"""The secretariat seats people on the council: invitations, role changes, ends of terms,
re-appointments, and marking the chair absent — each one audited, the chair and the acting
chair always unique."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.utils import translation

from circulation.models import OutboxMessage
from portal.models import AuditEntry, Membership, Role, User
from portal.permissions import acting_decider_role, roles_on
from portal.services.errors import Refused
from portal.services.membership import (
    change_role,
    default_term_end,
    end_term,
    invite_member,
    reappoint,
    set_chair_absent,
)

TODAY = dt.date(2026, 4, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    # 10:00 JST on 1 April 2026, the first day of a new fiscal year.
    with time_machine.travel(dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        yield


def membership_of(council, user) -> Membership:
    return Membership.objects.get(committee=council.committee, user=user)


def test_a_two_year_term_ends_the_day_before_the_same_date_two_years_on():
    assert default_term_end(dt.date(2026, 4, 1)) == dt.date(2028, 3, 31)
    assert default_term_end(dt.date(2028, 2, 29)) == dt.date(2030, 2, 28)


def test_inviting_a_new_person_creates_an_unverified_account_a_seat_and_a_mail(council):
    membership = invite_member(
        council.committee,
        "木村 新委員",
        "Kimura@Example.JP",
        Role.MEMBER,
        TODAY,
        default_term_end(TODAY),
        by=council.secretariat,
    )

    person = User.objects.get(email="kimura@example.jp")
    assert membership.user == person
    assert person.full_name == "木村 新委員"
    assert not person.has_usable_password()
    address = EmailAddress.objects.get(user=person)
    assert (address.email, address.verified, address.primary) == ("kimura@example.jp", False, True)
    assert Role.MEMBER in roles_on(person, council.committee)

    mail = OutboxMessage.objects.get(purpose="account.invitation", to_email="kimura@example.jp")
    assert mail.key == str(membership.pk)
    assert council.committee.name in mail.subject
    assert "/invitation/" in mail.body_text and "/invitation/" in mail.body_html
    assert "木村 新委員 様" in mail.body_text

    entry = AuditEntry.objects.get(action="committee.member.invited")
    assert entry.actor == council.secretariat
    assert entry.committee == council.committee
    assert entry.object_id == str(membership.pk)
    assert entry.data["new_account"] is True


def test_inviting_someone_who_already_has_an_account_reuses_it(council):
    # 中村 is the other council's secretariat; here she joins as a member.
    before = User.objects.count()
    membership = invite_member(
        council.committee,
        "別の名前",
        "NAKAMURA@city.example.jp",
        Role.MEMBER,
        TODAY,
        None,
        by=council.secretariat,
    )
    assert User.objects.count() == before
    assert membership.user == council.other_secretariat
    assert membership.user.full_name == "中村 事務局"  # the person's own name stays
    mail = OutboxMessage.objects.get(purpose="account.invitation")
    assert "/invitation/" not in mail.body_text  # she logs in as usual
    assert "/accounts/login/" in mail.body_text
    assert AuditEntry.objects.get(action="committee.member.invited").data["new_account"] is False


def test_a_second_chair_for_an_overlapping_term_is_refused_in_japanese_and_english(council):
    with pytest.raises(Refused) as refusal:
        invite_member(
            council.committee,
            "木村",
            "kimura@example.jp",
            Role.CHAIR,
            TODAY,
            default_term_end(TODAY),
            by=council.secretariat,
        )
    assert "すでに会長がいます" in str(refusal.value.message)
    assert "山田 会長" in str(refusal.value.message)
    assert refusal.value.field == "role"
    # Nothing was created, nothing was mailed, nothing was logged as done.
    assert not User.objects.filter(email="kimura@example.jp").exists()
    assert not OutboxMessage.objects.exists()
    assert not AuditEntry.objects.filter(action="committee.member.invited").exists()

    with translation.override("en"), pytest.raises(Refused) as refusal:
        invite_member(
            council.committee,
            "Kimura",
            "kimura@example.jp",
            Role.ACTING_CHAIR,
            TODAY,
            None,
            by=council.secretariat,
        )
    message = str(refusal.value.message)
    assert 'The role "Acting chair" is already held in this period (鈴木 代理' in message
    assert "Only one person holds it at a time." in message


def test_a_chair_may_be_seated_for_the_term_after_the_current_chairs(council):
    chair_seat = membership_of(council, council.chair)
    start = chair_seat.term_end + dt.timedelta(days=1)
    successor = invite_member(
        council.committee,
        "木村 次期会長",
        "kimura@example.jp",
        Role.CHAIR,
        start,
        default_term_end(start),
        by=council.secretariat,
    )
    assert successor.term_start == start
    # ...but not one day earlier.
    with pytest.raises(Refused):
        invite_member(
            council.committee,
            "松本",
            "matsumoto@example.jp",
            Role.CHAIR,
            chair_seat.term_end,
            None,
            by=council.secretariat,
        )


def test_the_same_person_cannot_hold_two_overlapping_seats_on_one_council(council):
    with pytest.raises(Refused) as refusal:
        invite_member(
            council.committee,
            "田中",
            "tanaka@example.jp",
            Role.IMPLEMENTING_BODY,
            TODAY,
            None,
            by=council.secretariat,
        )
    assert "すでにこの審議会の委員です" in str(refusal.value.message)


def test_changing_the_role_mid_term_keeps_the_history_of_who_held_which_role(council):
    tanaka = membership_of(council, council.members[0])
    end_term(membership_of(council, council.acting_chair), council.secretariat, on=TODAY)

    changed = change_role(
        tanaka, Role.ACTING_CHAIR, council.secretariat, effective=TODAY + dt.timedelta(days=1)
    )

    tanaka.refresh_from_db()
    assert tanaka.role == Role.MEMBER and tanaka.term_end == TODAY
    assert changed.role == Role.ACTING_CHAIR
    assert (changed.term_start, changed.term_end) == (TODAY + dt.timedelta(days=1), tanaka_end())
    assert roles_on(council.members[0], council.committee, TODAY) == {Role.MEMBER}
    assert roles_on(council.members[0], council.committee, TODAY + dt.timedelta(days=1)) == {
        Role.ACTING_CHAIR
    }
    entry = AuditEntry.objects.get(action="committee.member.role_changed")
    assert entry.data == {
        "from": "member",
        "to": "acting_chair",
        "effective": "2026-04-02",
        "previous_membership": tanaka.pk,
    }


def tanaka_end() -> dt.date:
    # The council fixture's terms end 530 days after the day the fixture was built.
    return TODAY + dt.timedelta(days=530)


def test_a_role_change_that_would_seat_a_second_chair_is_refused(council):
    with pytest.raises(Refused) as refusal:
        change_role(membership_of(council, council.members[0]), Role.CHAIR, council.secretariat)
    assert "会長は同時に1名だけです" in str(refusal.value.message)
    assert membership_of(council, council.members[0]).role == Role.MEMBER
    assert not AuditEntry.objects.filter(action="committee.member.role_changed").exists()


def test_a_role_change_before_the_term_begins_changes_the_whole_term(council):
    future = invite_member(
        council.committee,
        "木村",
        "kimura@example.jp",
        Role.MEMBER,
        TODAY + dt.timedelta(days=30),
        None,
        by=council.secretariat,
    )
    changed = change_role(future, Role.IMPLEMENTING_BODY, council.secretariat)
    assert changed.pk == future.pk
    assert changed.role == Role.IMPLEMENTING_BODY
    assert changed.term_start == TODAY + dt.timedelta(days=30)


def test_ending_a_term_today_keeps_today_as_the_last_day_served(council):
    tanaka = membership_of(council, council.members[0])
    ended = end_term(tanaka, council.secretariat)
    assert ended.term_end == TODAY
    assert Role.MEMBER in roles_on(council.members[0], council.committee, TODAY)
    assert not roles_on(council.members[0], council.committee, TODAY + dt.timedelta(days=1))
    entry = AuditEntry.objects.get(action="committee.member.term_ended")
    assert entry.data == {"term_end": "2026-04-01", "previous_term_end": tanaka_end().isoformat()}


def test_a_term_cannot_end_before_it_began_or_be_lengthened_by_ending_it(council):
    tanaka = membership_of(council, council.members[0])
    with pytest.raises(Refused):
        end_term(tanaka, council.secretariat, on=tanaka.term_start - dt.timedelta(days=1))
    with pytest.raises(Refused):
        end_term(tanaka, council.secretariat, on=tanaka.term_end + dt.timedelta(days=1))
    assert not AuditEntry.objects.filter(action="committee.member.term_ended").exists()


def test_reappointing_seats_the_person_for_the_two_years_after_the_term(council):
    watanabe = membership_of(council, council.former_member)
    new = reappoint(watanabe, council.secretariat, term_start=TODAY)
    assert (new.role, new.term_start, new.term_end) == (
        Role.MEMBER,
        TODAY,
        dt.date(2028, 3, 31),
    )
    assert Role.MEMBER in roles_on(council.former_member, council.committee)
    watanabe.refresh_from_db()
    assert watanabe.term_end < TODAY  # the old term is left as it was
    entry = AuditEntry.objects.get(action="committee.member.reappointed")
    assert entry.data["previous_membership"] == watanabe.pk


def test_reappointing_by_default_starts_the_day_after_the_current_term(council):
    tanaka = membership_of(council, council.members[0])
    new = reappoint(tanaka, council.secretariat)
    assert new.term_start == tanaka.term_end + dt.timedelta(days=1)
    assert new.term_end == default_term_end(new.term_start)


def test_reappointing_as_chair_while_the_chair_sits_is_refused(council):
    watanabe = membership_of(council, council.former_member)
    with pytest.raises(Refused):
        reappoint(watanabe, council.secretariat, term_start=TODAY, role=Role.CHAIR)


def test_marking_the_chair_absent_hands_the_decision_to_the_acting_chair(council):
    assert acting_decider_role(council.committee) == Role.CHAIR
    set_chair_absent(council.committee, True, council.secretariat)
    council.committee.refresh_from_db()
    assert acting_decider_role(council.committee) == Role.ACTING_CHAIR
    set_chair_absent(council.committee, True, council.secretariat)  # no change, no entry
    set_chair_absent(council.committee, False, council.secretariat)
    council.committee.refresh_from_db()
    assert acting_decider_role(council.committee) == Role.CHAIR
    entries = AuditEntry.objects.filter(action="committee.chair_absence.changed").order_by("id")
    assert [e.data["chair_absent"] for e in entries] == [True, False]
    assert all(e.actor == council.secretariat for e in entries)
