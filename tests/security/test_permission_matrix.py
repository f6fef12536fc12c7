"""Every Kairan URL × every persona × own/other council answers as the table says, and
every refusal is logged. The table must name every URL: a new page without a row fails.

The personas (tests/security/urlmatrix.py) cover every role, a member who receives the
circulation ("member") and one who does not ("late_member", appointed after it was sent),
a former member, an outsider and another council's secretariat. Each URL is asked once
with the objects of the persona's own council (OWN) and once with those of 情報公開審査会
(OTHER). Each (URL, persona) runs inside a savepoint that is rolled back afterwards, so a
POST that changes something (archive, revoke, discard) cannot change what the next persona
sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry, Role
from tests.factories import MembershipFactory, UserFactory
from tests.security.consultation_matrix import (
    CONSULTATION_EXPECTED,
    CONSULTATION_FILLERS,
    build_consultations,
)
from tests.security.records_matrix import RECORDS_EXPECTED, RECORDS_FILLERS, build_records
from tests.security.session_matrix import SESSION_EXPECTED, SESSION_FILLERS, build_session
from tests.security.urlmatrix import (
    OTHER,
    OWN,
    PERSONAS,
    Expectation,
    Failure,
    Route,
    expect,
    kairan_routes,
)
from tests.security.world import Side, World, build_side

pytestmark = pytest.mark.django_db

# --- Expectations ---------------------------------------------------------------------------
# A tuple is (object of the persona's own council, object of the other council). Outside
# their own council everybody gets 404 (nothing learned about what exists), except the other
# council's secretariat, for whom the OTHER objects are their own.

EVERYONE_SIGNED_IN = dict.fromkeys(PERSONAS[1:], 200)
ON_THE_COUNCIL = {
    "secretariat": (200, 404), "chair": (200, 404), "acting_chair": (200, 404),
    "member": (200, 404), "late_member": (200, 404), "implementing_body": (200, 404),
    "ended_member": (404, 404), "former_member": (404, 404), "outsider": (404, 404),
    "other_secretariat": (404, 200),
}  # fmt: skip
ON_THE_COUNCIL_SECRETARIAT_ONLY = {  # the others on the council may see it exists: 403
    role: (403, 404)
    for role in ("chair", "acting_chair", "member", "late_member", "implementing_body")
}
SECRETARIAT_ACROSS_COUNCILS = {  # pages without an object: the viewer's own councils
    "secretariat": 200, "chair": 403, "acting_chair": 403, "member": 403, "late_member": 403,
    "ended_member": 404, "implementing_body": 403, "former_member": 404, "outsider": 404,
    "other_secretariat": 200,
}  # fmt: skip


def committee_secretariat(ok: int, method: str = "get") -> Expectation:
    """A committee's page for its secretariat: the rest of the council 403, others 404."""
    return expect(
        method, **{**ON_THE_COUNCIL, **ON_THE_COUNCIL_SECRETARIAT_ONLY,
                   "secretariat": (ok, 404), "other_secretariat": (404, ok)},
    )  # fmt: skip


def circulation_page(ok: dict[str, int] | None = None, method: str = "get", **others: Any):
    """A sent circulation: the secretariat, the recipients (chair, acting chair, member, and
    one whose term has ended since) and the implementing body see it; a member who is not a
    recipient does not know it exists."""
    answers: dict[str, Any] = {
        "secretariat": (200, 404), "chair": (200, 404), "acting_chair": (200, 404),
        "member": (200, 404), "late_member": (404, 404), "ended_member": (200, 404),
        "implementing_body": (200, 404), "former_member": (404, 404), "outsider": (404, 404),
        "other_secretariat": (404, 200),
    }  # fmt: skip
    for persona, status in (ok or {}).items():
        answers[persona] = (status, 404) if persona != "other_secretariat" else (404, status)
    answers.update(others)
    return expect(method, **answers)


def circulation_secretariat(ok: int, method: str = "get", **others: Any) -> Expectation:
    """A sent circulation's page for the secretariat: those who see the circulation 403."""
    return circulation_page(
        {"secretariat": ok, "chair": 403, "acting_chair": 403, "member": 403,
         "ended_member": 403, "implementing_body": 403, "other_secretariat": ok},
        method, **others,
    )  # fmt: skip


def draft_page(ok: int, method: str = "get") -> Expectation:
    """A draft exists for its committee's secretariat only."""
    answers = {persona: (404, 404) for persona in PERSONAS[1:]}
    answers.update({"secretariat": (ok, 404), "other_secretariat": (404, ok)})
    return expect(method, **answers)


def recipients_only(ok_member: int, ok_chairs: int, method: str = "get") -> Expectation:
    """Pages of a recipient's own reply: those who see the circulation but did not receive
    it (the secretariat, the implementing body) get 403. The recipient whose term has ended
    has not replied, as the chairs have not: posting a reply or a question, they get the
    page back with the refusal and what they typed (tests/circulation/test_term_ended.py)."""
    return circulation_page(
        {"secretariat": 403, "chair": ok_chairs, "acting_chair": ok_chairs,
         "member": ok_member, "ended_member": ok_chairs, "implementing_body": 403},
        method, other_secretariat=(404, 403),
    )  # fmt: skip


def token_page(refusal: str, *, owner: tuple[int, int]) -> Expectation:
    """A page authorised by a token in the URL: anyone holding the link (not signed in)
    opens it; signed in as somebody else it is refused, and logged as `refusal`."""
    answers: dict[str, Any] = dict.fromkeys(PERSONAS[1:], (403, 403))
    answers.update({"anonymous": (200, 200), "member": owner})
    return expect(refusal=refusal, **answers)


def site_staff_only(ok: int, method: str = "get") -> Expectation:
    """A page of the site's staff: nobody on a council reaches it, the staff on both sides
    (the mail there belongs to no council)."""
    answers: dict[str, Any] = dict.fromkeys(PERSONAS[1:], 404)
    answers["site_staff"] = ok
    return expect(method, **answers)


EXPECTED: dict[str, Expectation] = {
    # Everyone
    "home": expect(**EVERYONE_SIGNED_IN),
    "my_circulations": expect(**EVERYONE_SIGNED_IN),  # their own only
    "privacy_notice": expect(anonymous=200, **EVERYONE_SIGNED_IN),
    # The member "invited" is nobody of the personas: signed in, it is somebody else's.
    "invitation_accept": token_page("account.invitation.refused", owner=(403, 403)),
    "committee_detail": expect(**ON_THE_COUNCIL),
    # Members pages (the secretariat of the committee only)
    "committee_members": committee_secretariat(200),
    "committee_member_add": committee_secretariat(200),
    "committee_chair_absence": committee_secretariat(302, "post"),
    "committee_settings": committee_secretariat(200),
    "committee_member_detail": committee_secretariat(200),
    "committee_member_change_role": committee_secretariat(400, "post"),
    "committee_member_end_term": committee_secretariat(400, "post"),
    "committee_member_reappoint": committee_secretariat(400, "post"),
    "committee_member_resend_invitation": committee_secretariat(302, "post"),
    # The member's side of an open circulation
    "circulation_detail": circulation_page(),
    "circulation_reply": recipients_only(200, 200, "post"),  # an empty form comes back
    "circulation_reply_done": recipients_only(200, 302),  # the chairs have not replied
    "question_ask": recipients_only(200, 200, "post"),
    "material_download": circulation_page(),
    "material_view": circulation_page(),
    # The secretariat's drafts
    "committee_circulations": committee_secretariat(200),
    "circulation_create": committee_secretariat(200),
    "circulation_edit": draft_page(200),
    "circulation_preview": draft_page(200),
    "circulation_send": draft_page(302, "post"),  # no revision posted: back to the preview
    "circulation_discard": draft_page(200),
    # After sending
    "circulation_tracking": circulation_secretariat(200),
    "circulation_extend": circulation_secretariat(200),
    "material_correct": circulation_secretariat(200),
    "circulation_questions": circulation_secretariat(200, implementing_body=(200, 404)),
    "question_answer": circulation_secretariat(200, "post", implementing_body=(200, 404)),
    "circulation_links": circulation_secretariat(200),
    "revoke_links": circulation_secretariat(302, "post"),
    # Following up (issue 19): copy it, remind now, download the table, one member's mail.
    "circulation_duplicate": circulation_secretariat(200),
    "circulation_remind_now": circulation_secretariat(302, "post"),
    "circulation_tracking_csv": circulation_secretariat(200),
    "circulation_tracking_xlsx": circulation_secretariat(200),
    "circulation_recipient_mail": circulation_secretariat(200),
    # A decided circulation: the chair decided; members read the record instead.
    "circulation_decision": circulation_page(
        {"acting_chair": 302, "member": 302, "ended_member": 302, "implementing_body": 403}
    ),
    "circulation_archive": circulation_secretariat(302, "post"),
    # Its gate is the committee's members page: no longer on the council, no longer theirs.
    "circulation_chair_absence": circulation_secretariat(302, "post", ended_member=(404, 404)),
    "decision_record": circulation_page({"implementing_body": 403}),
    "decision_record_csv": circulation_page({"implementing_body": 403}),
    # The meeting (会議): the people it concerns see it, the implementing body does not;
    # only the secretariat schedules, changes, cancels and handles the minutes.
    "meeting_detail": circulation_page({"implementing_body": 403}),
    "meeting_ics": circulation_page({"implementing_body": 403}),
    "meeting_schedule": circulation_secretariat(200),  # decided 開催する, no meeting yet
    "meeting_change": circulation_secretariat(200),
    "meeting_cancel": circulation_secretariat(200),
    "meeting_minutes_upload": circulation_secretariat(200),  # the meeting was yesterday
    # No minutes id posted: the page comes back with a message.
    "meeting_minutes_publish": circulation_secretariat(302, "post"),
    # Unpublished minutes exist for the secretariat only: a logged 404 for the rest.
    "meeting_minutes_download": circulation_page(
        {
            "chair": 404,
            "acting_chair": 404,
            "member": 404,
            "ended_member": 404,
            "implementing_body": 403,
        }
    ),
    # One-click links: the member's own link works for them and for whoever is not signed in.
    "reply_link": token_page("circulation.link.refused", owner=(200, 403)),
    # A material by the member's signed link in the notice (members who only use mail).
    "material_link": token_page("circulation.link.refused", owner=(200, 403)),
    # Mail that belongs to no council: the site's staff only; for everyone else it is not
    # there (a logged 404). An empty POST to hand it over brings the form back.
    "staff_mail_list": site_staff_only(200),
    "staff_mail_detail": site_staff_only(200),
    "staff_mail_hand_over": site_staff_only(400, "post"),
    "staff_mail_discard": site_staff_only(302, "post"),
    "staff_mail_attachment": site_staff_only(200),
    # Mail that needs the secretariat
    "inbound_list": committee_secretariat(200),
    "inbound_detail": committee_secretariat(200),
    "inbound_assign": committee_secretariat(400, "post"),  # an empty form comes back
    "inbound_discard": committee_secretariat(302, "post"),
    "inbound_attachment": committee_secretariat(200),
    # The operation log
    "audit_log": expect(**SECRETARIAT_ACROSS_COUNCILS),
    "audit_log_export": expect(**SECRETARIAT_ACROSS_COUNCILS),
    "audit_log_reviews": expect(**{**ON_THE_COUNCIL, **ON_THE_COUNCIL_SECRETARIAT_ONLY}),
    # The probes answer everybody, signed in or not, and reveal nothing (tests/ops/test_health.py);
    # this world has no beat running, so it is not ready.
    "healthz": expect(anonymous=200, **EVERYONE_SIGNED_IN),
    "readyz": expect(anonymous=503, **dict.fromkeys(PERSONAS[1:], 503)),
    # The operators' status page and metrics: site staff only (User.is_staff;
    # tests/ops/test_status.py); a council's secretariat is not site staff.
    # Retention (保存期間, 移管, 廃棄): the council's secretariat.
    "retention_page": committee_secretariat(200),
    "retention_export": committee_secretariat(200),
    "retention_dispose": committee_secretariat(302, "post"),  # nothing chosen: back, a message
    "ops_status": site_staff_only(200),
    "ops_metrics": site_staff_only(200),
    # Consultations (諮問): their own rows, with the staff of another consultation.
    **CONSULTATION_EXPECTED,
    # Minutes written in Kairan and the public records (issue 18).
    **RECORDS_EXPECTED,
    **SESSION_EXPECTED,
}

# --- Filling the URL arguments --------------------------------------------------------------

Filler = Callable[[Side], Any]

FILLERS: dict[str, Filler] = {
    "committee_id": lambda side: side.committee.pk,
    "circulation_id": lambda side: side.open.pk,
    "material_id": lambda side: side.material.pk,
    "question_id": lambda side: side.open_question.pk,
    "recipient_id": lambda side: side.recipient.pk,
    "membership_id": lambda side: side.membership.pk,
    "message_id": lambda side: side.message.pk,
    "attachment_id": lambda side: side.attachment.pk,
    "minutes_id": lambda side: side.minutes.pk,
    # "token" has no general filler: each token URL names its own kind of token below.
}
DRAFT = {"circulation_id": lambda side: side.draft.pk}
DECIDED = {"circulation_id": lambda side: side.decided.pk}
CONVENED = {"circulation_id": lambda side: side.convened.pk}
HELD = {"circulation_id": lambda side: side.held.pk}
ROUTE_FILLERS: dict[str, dict[str, Filler]] = {
    "invitation_accept": {"token": lambda side: side.invitation_token},
    "reply_link": {"token": lambda side: side.link_token},
    "material_link": {"token": lambda side: side.material_token},
    "staff_mail_detail": {"message_id": lambda side: side.orphan.pk},
    "staff_mail_hand_over": {"message_id": lambda side: side.orphan.pk},
    "staff_mail_discard": {"message_id": lambda side: side.orphan.pk},
    "staff_mail_attachment": {"attachment_id": lambda side: side.orphan_attachment.pk},
    "circulation_edit": DRAFT,
    "circulation_preview": DRAFT,
    "circulation_send": DRAFT,
    "circulation_discard": DRAFT,
    "circulation_decision": DECIDED,
    "circulation_archive": DECIDED,
    "circulation_chair_absence": DECIDED,
    "decision_record": DECIDED,
    "decision_record_csv": DECIDED,
    "meeting_detail": DECIDED,
    "meeting_ics": DECIDED,
    "meeting_schedule": CONVENED,
    "meeting_change": DECIDED,
    "meeting_cancel": DECIDED,
    "meeting_minutes_upload": HELD,
    "meeting_minutes_publish": HELD,
    "meeting_minutes_download": HELD,
    **CONSULTATION_FILLERS,
    **RECORDS_FILLERS,
    **SESSION_FILLERS,
}


def filler(route: Route, kwarg: str) -> Filler | None:
    return ROUTE_FILLERS.get(route.name, {}).get(kwarg) or FILLERS.get(kwarg)


def url_for(world: World, route: Route, side: str, *, children: str | None = None) -> str:
    """The route's URL with objects of `side`; `children` gives every argument after the
    first one from another side (to ask for another council's object under one's own)."""
    values = {}
    for position, kwarg in enumerate(route.kwargs):
        which = children if children and position > 0 else side
        values[kwarg] = filler(route, kwarg)(world.side(which))
    return route.url(**values)


# --- The world ------------------------------------------------------------------------------


@pytest.fixture
def world(council) -> World:
    other_chair = UserFactory(email="kondo@example.jp", full_name="近藤 会長")
    other_member = UserFactory(email="endo@example.jp", full_name="遠藤 委員")
    MembershipFactory(user=other_chair, committee=council.other_committee, role=Role.CHAIR)
    MembershipFactory(user=other_member, committee=council.other_committee, role=Role.MEMBER)
    # Sits while every circulation is sent; their term ends yesterday (set below).
    ended_member = UserFactory(email="matsumoto@example.jp", full_name="松本 任期終了")
    ended = MembershipFactory(user=ended_member, committee=council.committee, role=Role.MEMBER,
                              term_start=timezone.localdate() - dt.timedelta(days=400))  # fmt: skip
    # The implementing body's staff, on the council before its consultations are registered.
    body = UserFactory(email="kimura@city.example.jp", full_name="木村 実施機関")
    MembershipFactory(user=body, committee=council.committee, role=Role.IMPLEMENTING_BODY)
    other_body = UserFactory(email="mori@city.example.jp", full_name="森 実施機関")
    MembershipFactory(user=other_body, committee=council.committee, role=Role.IMPLEMENTING_BODY)
    others_body = UserFactory(email="ueda@city.example.jp", full_name="上田 実施機関")
    MembershipFactory(user=others_body, committee=council.other_committee,
                      role=Role.IMPLEMENTING_BODY)  # fmt: skip
    sides = {
        OWN: build_side(council.committee, secretariat=council.secretariat, chair=council.chair,
                        member=council.members[0], invitee_email="arai@example.jp"),
        OTHER: build_side(council.other_committee, secretariat=council.other_secretariat,
                          chair=other_chair, member=other_member,
                          invitee_email="okada@example.jp"),
    }  # fmt: skip
    staff = {OWN: body, OTHER: others_body}
    for name, side in sides.items():
        side.consultations = build_consultations(
            side.committee, secretariat=side.secretariat, chair=side.chair, member=side.member,
            staff=staff[name],
        )  # fmt: skip
        side.records = build_records(side)
        side.session = build_session(side)
    # Appointed today, after every circulation was sent: on the council, not a recipient.
    today = timezone.localdate()
    ended.term_end = today - dt.timedelta(days=1)
    ended.save(update_fields=["term_end"])
    late = UserFactory(email="kato@example.jp", full_name="加藤 新委員")
    MembershipFactory(user=late, committee=council.committee, role=Role.MEMBER,
                      term_start=today, term_end=today + dt.timedelta(days=700))  # fmt: skip
    people = {
        "anonymous": None,
        "secretariat": council.secretariat,
        "chair": council.chair,
        "acting_chair": council.acting_chair,
        "member": council.members[0],
        "late_member": late,
        "ended_member": ended_member,
        "implementing_body": body,
        "other_body": other_body,
        "former_member": council.former_member,
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "site_staff": UserFactory(
            email="admin@city.example.jp", full_name="情報政策課 管理者", is_staff=True
        ),
    }
    return World(sides=sides, people=people)


def routes_by_name() -> dict[str, Route]:
    return {route.name: route for route in kairan_routes()}


# --- The table is complete ------------------------------------------------------------------


def test_every_kairan_url_has_a_row_in_the_matrix():
    routes = kairan_routes()
    assert [r.route for r in routes if not r.name] == [], "every Kairan URL needs a name"
    names = {r.name for r in routes}
    assert sorted(names - EXPECTED.keys()) == [], "add these URLs to EXPECTED"
    assert sorted(EXPECTED.keys() - names) == [], "these rows name no URL any more"


def test_every_url_argument_can_be_filled():
    missing = sorted(
        f"{route.name}: {kwarg}"
        for route in kairan_routes()
        for kwarg in route.kwargs
        if filler(route, kwarg) is None
    )
    assert missing == [], "add FILLERS (or ROUTE_FILLERS) for these URL arguments"


# --- The answers ----------------------------------------------------------------------------


def _ask(client: Client, expectation: Expectation, url: str, method: str | None = None):
    return getattr(client, method or expectation.method)(url, expectation.query)


def _last_entry_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _refusal_logged(
    user, url: str, expectation: Expectation, *, since: int, names_object: bool
) -> bool:
    """A refusal must be logged by this very request. A refusal of a page about an object
    must name the object: only the permission gates do that (the fallback logger in the
    middleware knows the URL only)."""
    entries = AuditEntry.objects.filter(
        pk__gt=since, action=expectation.refusal, actor=user, result=AuditEntry.Result.REFUSED
    )
    if expectation.refusal == "access.refused":
        entries = entries.filter(data__url=urlsplit(url).path)
    if names_object:
        entries = entries.exclude(object_id="")
    return entries.exists()


def _check_persona(
    world: World, route: Route, expectation: Expectation, persona: str
) -> list[Failure]:
    failures = []
    user = world.people[persona]
    client = Client()
    if user is not None:
        client.force_login(user)
    for side in (OWN, OTHER) if route.needs_objects else (OWN,):
        url = url_for(world, route, side)
        expected = expectation.status(persona, side)
        since = _last_entry_id()
        got = _ask(client, expectation, url).status_code
        logged = (
            user is None
            or got not in (403, 404)
            or _refusal_logged(user, url, expectation, since=since,
                               names_object=route.needs_objects)
        )  # fmt: skip
        if got != expected or not logged:
            failures.append(Failure(route.name, persona, side, url, expected, got, logged))
    return failures


def test_every_persona_gets_the_expected_answer_and_every_refusal_is_logged(world):
    failures: list[Failure] = []
    routes = routes_by_name()
    for name, expectation in EXPECTED.items():
        for persona in PERSONAS:
            with transaction.atomic():  # whatever a POST changed is undone for the next one
                failures += _check_persona(world, routes[name], expectation, persona)
                transaction.set_rollback(True)
    assert not failures, "\n" + "\n".join(str(f) for f in failures)


def test_another_councils_object_under_ones_own_is_a_logged_404_naming_it(world):
    """The secretariat asks for another council's material, question, member, mail… with
    the id of their own committee or circulation in front: 404, and the log names what
    they asked for (a view's own get_object_or_404 would not)."""
    failures: list[Failure] = []
    secretariat = world.people["secretariat"]
    for route in kairan_routes():
        if len(route.kwargs) < 2:
            continue
        expectation = EXPECTED[route.name]
        with transaction.atomic():
            client = Client()
            client.force_login(secretariat)
            url = url_for(world, route, OWN, children=OTHER)
            since = _last_entry_id()
            got = _ask(client, expectation, url).status_code
            logged = _refusal_logged(secretariat, url, expectation, since=since, names_object=True)
            if got != 404 or not logged:
                failures.append(Failure(route.name, "secretariat", "own/other", url, 404, got,
                                        logged))  # fmt: skip
            transaction.set_rollback(True)
    assert not failures, "\n" + "\n".join(str(f) for f in failures)


# The member's form addresses: a browser sent to log in from a post there (the session had
# ended) comes back to them with a GET after login; it is led to the circulation's page.
GET_LEADS_TO_THE_PAGE = {"circulation_reply": "#reply", "question_ask": "#qa"}


def test_a_get_on_a_post_only_url_changes_nothing_and_answers_405(world):
    client = Client()
    client.force_login(world.people["secretariat"])
    routes = routes_by_name()
    before = _last_entry_id()
    for name, expectation in EXPECTED.items():
        if expectation.method == "post":
            url = url_for(world, routes[name], OWN)
            response = client.get(url)
            if name in GET_LEADS_TO_THE_PAGE:
                page = reverse("circulation_detail", args=[world.side(OWN).open.pk])
                assert response["Location"] == page + GET_LEADS_TO_THE_PAGE[name], url
            else:
                assert response.status_code == 405, url
    assert _last_entry_id() == before


def test_a_post_without_csrf_token_is_refused_on_every_url(world):
    """CSRF on every state-changing view: Django's middleware refuses any POST without a
    token, whatever the view; this proves no URL is exempt — for the secretariat, and for a
    member following a link from a mail without being signed in."""
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(world.people["secretariat"])
    anonymous = Client(enforce_csrf_checks=True)
    entries_before = AuditEntry.objects.exclude(action="access.refused").count()
    for route in kairan_routes():
        url = url_for(world, route, OWN)
        for client in (signed_in, anonymous):
            response = client.post(url, {"anything": "x", "kind": "no_opinion"})
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
    assert routes["material_download"].kwargs == ("circulation_id", "material_id")
    assert routes["reply_link"].kwargs == ("token",)
    assert routes["audit_log_reviews"].kwargs == ("committee_id",)
    assert routes["audit_log"].kwargs == ()
    assert not any(name.startswith(("account_", "admin:", "mfa_")) for name in routes)


def test_a_row_must_name_every_persona():
    with pytest.raises(ValueError, match="lacks personas"):
        expect(secretariat=200)
