"""Every Kairan URL × every persona × own/other council answers as the table says, and
every refusal is logged. The table must name every URL: a new page without a row fails.

After the merge the integrator adds the rows (and argument fillers) for the new pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from circulation.models import Circulation
from portal.models import AuditEntry, Committee, Role, User
from tests.circulation.helpers import sent_circulation
from tests.conftest import Council
from tests.factories import CirculationFactory, MembershipFactory, UserFactory
from tests.security.urlmatrix import (
    OTHER,
    OWN,
    PERSONAS,
    Expectation,
    Failure,
    expect,
    kairan_routes,
)

pytestmark = pytest.mark.django_db

EVERYONE_SIGNED_IN = dict.fromkeys(PERSONAS[1:], 200)
ON_THE_COUNCIL = {  # own council's object, other council's object
    "secretariat": (200, 404), "chair": (200, 404), "acting_chair": (200, 404),
    "member": (200, 404), "late_member": (200, 404), "implementing_body": (200, 404),
    "former_member": (404, 404), "outsider": (404, 404), "other_secretariat": (404, 200),
}  # fmt: skip
ON_THE_COUNCIL_SECRETARIAT_ONLY = {  # the others on the council may see it exists: 403
    role: (403, 404)
    for role in ("chair", "acting_chair", "member", "late_member", "implementing_body")
}
SECRETARIAT_ACROSS_COUNCILS = {  # pages without an object: the viewer's own councils
    "secretariat": 200, "chair": 403, "acting_chair": 403, "member": 403, "late_member": 403,
    "implementing_body": 403, "former_member": 404, "outsider": 404, "other_secretariat": 200,
}  # fmt: skip

EXPECTED: dict[str, Expectation] = {
    "home": expect(**EVERYONE_SIGNED_IN),
    "privacy_notice": expect(anonymous=200, **EVERYONE_SIGNED_IN),
    "committee_detail": expect(**ON_THE_COUNCIL),
    "circulation_detail": expect(**{**ON_THE_COUNCIL, "late_member": (404, 404)}),
    "audit_log": expect(**SECRETARIAT_ACROSS_COUNCILS),
    "audit_log_export": expect(**SECRETARIAT_ACROSS_COUNCILS),
    "audit_log_reviews": expect(**{**ON_THE_COUNCIL, **ON_THE_COUNCIL_SECRETARIAT_ONLY}),
}


@dataclass
class World:
    """The council of the fixtures (OWN) and 情報公開審査会 (OTHER), one open circulation in
    each, and every persona."""

    council: Council
    circulations: dict[str, Circulation]
    people: dict[str, User | None]

    def committee(self, side: str) -> Committee:
        return self.council.committee if side == OWN else self.council.other_committee

    def circulation(self, side: str) -> Circulation:
        return self.circulations[side]


FILLERS = {
    "committee_id": lambda world, side: world.committee(side).pk,
    "circulation_id": lambda world, side: world.circulation(side).pk,
}


@pytest.fixture
def world(council) -> World:
    own = sent_circulation(council)
    other = CirculationFactory(
        committee=council.other_committee,
        state=Circulation.State.OPEN,
        created_by=council.other_secretariat,
        sent_at=timezone.now(),
    )
    today = timezone.localdate()
    late = UserFactory(email="kato@example.jp", full_name="加藤 新委員")
    MembershipFactory(user=late, committee=council.committee, role=Role.MEMBER,
                      term_start=today, term_end=today + dt.timedelta(days=700))  # fmt: skip
    body = UserFactory(email="kimura@city.example.jp", full_name="木村 実施機関")
    MembershipFactory(user=body, committee=council.committee, role=Role.IMPLEMENTING_BODY)
    people = {
        "anonymous": None,
        "secretariat": council.secretariat,
        "chair": council.chair,
        "acting_chair": council.acting_chair,
        "member": council.members[0],
        "late_member": late,
        "implementing_body": body,
        "former_member": council.former_member,
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
    }
    return World(council=council, circulations={OWN: own, OTHER: other}, people=people)


def routes_by_name():
    return {route.name: route for route in kairan_routes()}


def test_every_kairan_url_has_a_row_in_the_matrix():
    routes = kairan_routes()
    assert [r.route for r in routes if not r.name] == [], "every Kairan URL needs a name"
    names = {r.name for r in routes}
    assert sorted(names - EXPECTED.keys()) == [], "add these URLs to EXPECTED"
    assert sorted(EXPECTED.keys() - names) == [], "these rows name no URL any more"


def test_every_url_argument_can_be_filled():
    needed = {kwarg for route in kairan_routes() for kwarg in route.kwargs}
    assert sorted(needed - FILLERS.keys()) == [], "add FILLERS for these URL arguments"


def _refusal_logged(user: User, url: str, *, names_object: bool) -> bool:
    """A refusal of a page about an object must name the object: only the permission gates
    do that (the fallback logger in the middleware knows the URL only)."""
    entries = AuditEntry.objects.filter(
        action="access.refused",
        actor=user,
        result=AuditEntry.Result.REFUSED,
        data__url=urlsplit(url).path,
    )
    if names_object:
        entries = entries.exclude(object_id="")
    return entries.exists()


def _ask(client: Client, expectation: Expectation, url: str):
    return getattr(client, expectation.method)(url, expectation.query)


def test_every_persona_gets_the_expected_answer_and_every_refusal_is_logged(world):
    failures: list[Failure] = []
    routes = routes_by_name()
    for name, expectation in EXPECTED.items():
        route = routes[name]
        sides = (OWN, OTHER) if route.needs_objects else (OWN,)
        for persona in PERSONAS:
            user = world.people[persona]
            client = Client()
            if user is not None:
                client.force_login(user)
            for side in sides:
                url = route.url(**{k: FILLERS[k](world, side) for k in route.kwargs})
                expected = expectation.status(persona, side)
                got = _ask(client, expectation, url).status_code
                logged = (
                    user is None
                    or got not in (403, 404)
                    or _refusal_logged(user, url, names_object=route.needs_objects)
                )
                if got != expected or not logged:
                    failures.append(Failure(name, persona, side, url, expected, got, logged))
    assert not failures, "\n" + "\n".join(str(f) for f in failures)


def test_a_post_without_csrf_token_is_refused_on_every_url(world):
    """CSRF on every state-changing view: Django's middleware refuses any POST without a
    token, whatever the view; this proves no URL is exempt."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.council.secretariat)
    entries_before = AuditEntry.objects.exclude(action="access.refused").count()
    for route in kairan_routes():
        url = route.url(**{k: FILLERS[k](world, OWN) for k in route.kwargs})
        response = client.post(url, {"anything": "x"})
        assert response.status_code == 403, url
        assert b"CSRF" in response.content, url
    assert AuditEntry.objects.exclude(action="access.refused").count() == entries_before


# --- The walker itself ----------------------------------------------------------------------


def test_the_walker_finds_nested_patterns_with_all_their_arguments():
    routes = {r.route: r for r in kairan_routes("tests.security.sample_urls")}
    assert set(routes) == {
        "",
        "committees/<int:committee_id>/c/<int:circulation_id>/",
        "committees/<int:committee_id>/c/<int:circulation_id>/materials/<int:material_id>/",
        "committees/<int:committee_id>/c/<int:circulation_id>/answers/(?P<answer_id>[0-9]+)/",
        "plain/",
    }  # admin/, accounts/, demo/ and static/ are not Kairan's
    material = routes[
        "committees/<int:committee_id>/c/<int:circulation_id>/materials/<int:material_id>/"
    ]
    assert material.name == "inner:material"
    assert material.kwargs == ("committee_id", "circulation_id", "material_id")
    answer = next(r for r in routes.values() if r.name == "inner:answer")
    assert answer.kwargs == ("committee_id", "circulation_id", "answer_id")
    assert routes["plain/"].name == ""  # unnamed: the matrix test reports it


def test_the_walker_sees_this_projects_pages():
    routes = routes_by_name()
    assert routes["committee_detail"].kwargs == ("committee_id",)
    assert routes["circulation_detail"].kwargs == ("circulation_id",)
    assert routes["audit_log_reviews"].kwargs == ("committee_id",)
    assert routes["audit_log"].kwargs == ()
    assert not any(name.startswith(("account_", "admin:", "mfa_")) for name in routes)


def test_a_row_must_name_every_persona():
    with pytest.raises(ValueError, match="lacks personas"):
        expect(secretariat=200)
