"""The demo council a newcomer meets in `make demo`: every role, terms that make sense on the
day the demo runs, logins that work, and data that survives running the demo again."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from portal.demo import (
    DEMO_COMMITTEE_NAME,
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    OTHER_COMMITTEE_NAME,
    current_term,
    load_demo,
    load_demo_council,
)
from portal.models import AuditEntry, Committee, Membership, Role, User

JST = ZoneInfo("Asia/Tokyo")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_the_demo(settings):
    settings.DEMO = True


def roles_today(user: User, committee: Committee) -> set[str]:
    return set(
        Membership.objects.current()
        .filter(user=user, committee=committee)
        .values_list("role", flat=True)
    )


@time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=JST), tick=False)
def test_the_demo_council_has_every_role_with_terms_covering_today():
    demo = load_demo_council()

    assert demo.committee.name == "住民基本台帳ネットワークシステム管理運用審議会"
    assert roles_today(demo.secretariat, demo.committee) == {Role.SECRETARIAT}
    assert roles_today(demo.chair, demo.committee) == {Role.CHAIR}
    assert roles_today(demo.acting_chair, demo.committee) == {Role.ACTING_CHAIR}
    for member in demo.members:
        assert roles_today(member, demo.committee) == {Role.MEMBER}
    seats = Membership.objects.filter(committee=demo.committee).exclude(user=demo.former_member)
    assert {(seat.term_start, seat.term_end) for seat in seats} == {
        (dt.date(2026, 4, 1), dt.date(2028, 3, 31))  # two years from 1 April
    }
    sitting = Membership.objects.current().sitting().filter(committee=demo.committee)
    assert {seat.user for seat in sitting} == {demo.chair, demo.acting_chair, *demo.members}


@time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=JST), tick=False)
def test_the_former_member_served_the_previous_term_and_sits_no_more():
    demo = load_demo_council()

    seat = Membership.objects.get(user=demo.former_member, committee=demo.committee)
    assert (seat.term_start, seat.term_end) == (dt.date(2024, 4, 1), dt.date(2026, 3, 31))
    assert roles_today(demo.former_member, demo.committee) == set()


def test_the_outsider_sits_only_on_another_council(client):
    demo = load_demo_council()

    assert roles_today(demo.outsider, demo.committee) == set()
    assert demo.other_committee.name == OTHER_COMMITTEE_NAME
    assert roles_today(demo.outsider, demo.other_committee) == {Role.MEMBER}
    client.force_login(demo.outsider)
    response = client.get(reverse("committee_detail", args=[demo.committee.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("today", "term"),
    [
        (dt.date(2026, 3, 31), (dt.date(2025, 4, 1), dt.date(2027, 3, 31))),
        (dt.date(2026, 4, 1), (dt.date(2026, 4, 1), dt.date(2028, 3, 31))),
        (dt.date(2027, 1, 15), (dt.date(2026, 4, 1), dt.date(2028, 3, 31))),
    ],
)
def test_a_term_is_two_years_from_the_first_of_april_and_covers_today(today, term):
    assert current_term(today) == term
    assert term[0] <= today <= term[1]


def test_every_demo_person_logs_in_with_the_one_demo_password(client):
    load_demo_council()

    for person in DEMO_PEOPLE:
        assert EmailAddress.objects.filter(email=person.email, verified=True, primary=True)
        response = client.post(
            reverse("account_login"), {"login": person.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, person.email
        assert response["Location"] == reverse("home")
        client.logout()


def test_demo_names_are_plainly_fictional_and_addresses_are_example_domains():
    for person in DEMO_PEOPLE:
        assert person.email.endswith(("@example.jp", "@city.example.jp"))
    secretariat = next(person for person in DEMO_PEOPLE if person.key == "secretariat")
    assert secretariat.email.endswith("@city.example.jp")


def test_the_demo_secretariat_logs_in_and_sees_the_council(client):
    load_demo_council()

    client.post(
        reverse("account_login"),
        {"login": "mihon.hanako@city.example.jp", "password": DEMO_PASSWORD},
    )
    home = client.get(reverse("home"))
    assert DEMO_COMMITTEE_NAME in home.content.decode()


@time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=JST), tick=False)
def test_loading_again_keeps_what_was_done_in_the_demo():
    demo = load_demo_council()
    demo.chair.full_name = "例題 一郎(改名)"
    demo.chair.set_password("changed in the demo")
    demo.chair.save()
    Membership.objects.filter(user=demo.members[0]).update(term_end=dt.date(2026, 8, 31))
    counts = (User.objects.count(), Membership.objects.count(), Committee.objects.count())

    assert load_demo_council() is None
    assert load_demo() is None

    chair = User.objects.get(pk=demo.chair.pk)
    assert chair.full_name == "例題 一郎(改名)"
    assert chair.check_password("changed in the demo")
    assert Membership.objects.get(user=demo.members[0]).term_end == dt.date(2026, 8, 31)
    assert (User.objects.count(), Membership.objects.count(), Committee.objects.count()) == counts


def test_loading_the_demo_is_in_the_audit_log():
    demo = load_demo_council()

    assert AuditEntry.objects.filter(action="demo.council.loaded", committee=demo.committee)
    added = AuditEntry.objects.filter(action="committee.member.added")
    assert added.count() == Membership.objects.count() == 8


def test_the_demo_is_never_loaded_on_a_real_site(settings):
    settings.DEMO = False
    settings.DEBUG = False

    with pytest.raises(ImproperlyConfigured):
        load_demo_council()
    with pytest.raises(CommandError, match="KAIRAN_DEMO=1"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_the_load_demo_command_loads_once_and_says_so(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    second = capsys.readouterr().out

    assert DEMO_COMMITTEE_NAME in first
    assert DEMO_PASSWORD in first
    assert "mihon.hanako@city.example.jp" in first
    assert "already loaded" in second
    assert Committee.objects.filter(name=DEMO_COMMITTEE_NAME).count() == 1


def test_the_demo_logins_are_printed_again_on_request(capsys):
    call_command("demo_logins")

    printed = capsys.readouterr().out
    assert DEMO_PASSWORD in printed
    for person in DEMO_PEOPLE:
        assert person.email in printed and person.full_name in printed


@pytest.mark.urls("tests.ops.demo_urlconf")
def test_the_demo_page_lists_the_logins(client):
    page = client.get("/demo/").content.decode()

    assert DEMO_PASSWORD in page
    for person in DEMO_PEOPLE:
        assert person.email in page


def test_every_demo_material_has_its_whole_title():
    from circulation.demo import MATERIAL_TITLES
    from circulation.models import Material

    load_demo()

    # The circulations' (the consultations' materials are 「諮問第N号 諮問書」).
    titles = set(
        Material.objects.filter(circulation__kind="circulation").values_list("title", flat=True)
    )
    from circulation.demo_records import WRITTEN_MATERIAL_TITLE  # the public records' demo

    assert titles == {title for pair in MATERIAL_TITLES.values() for title in pair} | {
        WRITTEN_MATERIAL_TITLE
    }
    assert not any(title.endswith(("の", "(", "に")) for title in titles)


@pytest.mark.parametrize("hour", [0, 2, 23])
def test_the_demo_loads_at_any_hour_of_the_day_in_japan(hour):
    """Just after midnight the demo's events of "three hours ago" were yesterday: each is
    dated by its own moment (the rider's response once refused a date of tomorrow)."""
    with time_machine.travel(dt.datetime(2026, 12, 7, hour, 30, tzinfo=JST), tick=False):
        load_demo()
    assert Committee.objects.filter(name=DEMO_COMMITTEE_NAME).exists()
