"""The demo council that `make demo` loads: plainly fictional people on one council, with
every role the portal knows, so that a newcomer can try each side of the process.

`load_demo()` is the one entry point (used by `manage.py load_demo` and `manage.py rundemo`).
It loads the council and returns a `DemoCouncil` naming each person, so that later demo
content (circulations, replies, …) can be added there, in the same transaction, using them.

Loading is idempotent: a council that is already there is left exactly as it is (nothing is
created, changed or reset), so that running the demo again keeps whatever was done in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from circulation.demo import load_demo_circulations
from circulation.demo_consultations import DemoConsultationPeople, load_demo_consultations
from circulation.demo_records import load_demo_records
from circulation.demo_sessions import load_demo_sessions
from portal import audit
from portal.models import Committee, Membership, Role, User

DEMO_COMMITTEE_NAME = "住民基本台帳ネットワークシステム管理運用審議会"
OTHER_COMMITTEE_NAME = "情報公開審査会"
# The second council, with consultations (諮問): the council of the second seed.
PRIVACY_COMMITTEE_NAME = "長崎市個人情報保護審議会"
# One password for every demo login; printed by `make demo` and in README.md.
DEMO_PASSWORD = "kairan-demo-2026"
_LOADER = "demo loader"  # the audit log's actor for what the demo creates


@dataclass(frozen=True)
class DemoPerson:
    key: str  # the attribute of DemoCouncil that holds this person
    label: str  # what the person is in the demo, shown in the logins table
    label_en: str
    full_name: str
    email: str


# Names are deliberately unreal (見本 = sample, 例題 = exercise, 架空 = fictional, …).
DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("secretariat", "事務局", "secretariat", "見本 花子", "mihon.hanako@city.example.jp"),
    DemoPerson("chair", "会長", "chair", "例題 一郎", "reidai.ichiro@example.jp"),
    DemoPerson("acting_chair", "職務代理者", "acting chair", "模擬 和子", "mogi.kazuko@example.jp"),
    DemoPerson("member_1", "委員", "member", "架空 さくら", "kakuu.sakura@example.jp"),
    DemoPerson("member_2", "委員", "member", "試行 三郎", "shikou.saburo@example.jp"),
    DemoPerson("member_3", "委員", "member", "例示 悟", "reiji.satoru@example.jp"),
    DemoPerson(
        "former_member",
        "任期が終わった委員",
        "member whose term has ended",
        "過去 六郎",
        "kako.rokuro@example.jp",
    ),
    DemoPerson(
        "body_center",
        "実施機関(中央地域センター、個人情報保護審議会)",
        "implementing body (the privacy council)",
        "検証 太一",
        "kensho.taichi@city.example.jp",
    ),
    DemoPerson(
        "body_childcare",
        "実施機関(幼児課、個人情報保護審議会)",
        "implementing body (the privacy council)",
        "模範 育子",
        "mohan.ikuko@city.example.jp",
    ),
    DemoPerson(
        "outsider",
        "部外者(情報公開審査会の委員)",
        "outsider: a member of another council only",
        "部外 七海",
        "bugai.nanami@example.jp",
    ),
)


def logins_text() -> str:
    """The demo's logins as `make demo` prints them (and `make demo-logins` again)."""
    width = max(len(person.email) for person in DEMO_PEOPLE)
    rows = "\n".join(
        f"  {person.email:<{width}}  {person.full_name}  {person.label} ({person.label_en})"
        for person in DEMO_PEOPLE
    )
    return f"Demo logins (one password for all: {DEMO_PASSWORD})\n{rows}\n"


@dataclass(frozen=True)
class DemoCouncil:
    committee: Committee
    other_committee: Committee
    secretariat: User
    chair: User
    acting_chair: User
    members: tuple[User, User, User]
    former_member: User
    outsider: User


def current_term(today: dt.date) -> tuple[dt.date, dt.date]:
    """The two-year term (任期) covering today, starting on 1 April as councils' terms do."""
    start_year = today.year if today >= dt.date(today.year, 4, 1) else today.year - 1
    return dt.date(start_year, 4, 1), dt.date(start_year + 2, 3, 31)


def demo_is_loaded() -> bool:
    return Committee.objects.filter(name=DEMO_COMMITTEE_NAME).exists()


@transaction.atomic
def load_demo() -> DemoCouncil | None:
    """Everything the demo shows; None when it was already loaded (and left untouched):
    the council and its people, then one open circulation with replies and one closed
    circulation awaiting the chair's decision; then the privacy council and its
    consultations (諮問)."""
    council = load_demo_council()
    if council is not None:
        load_demo_circulations(council.committee)
        load_demo_sessions(council)
        load_demo_privacy_council(council)
        load_demo_records(council)
    return council


def load_demo_privacy_council(council: DemoCouncil) -> Committee:
    """長崎市個人情報保護審議会: the demo's secretariat, chair, acting chair and members sit on
    it too (their term began a year earlier, so that its consultations of the past weeks
    fall within it), with two people of implementing bodies; and its consultations."""
    committee, _ = Committee.objects.get_or_create(name=PRIVACY_COMMITTEE_NAME)
    start, _end = current_term(timezone.localdate())
    start = start.replace(year=start.year - 1)
    end = start.replace(year=start.year + 2) - dt.timedelta(days=1)
    seats = [
        (council.secretariat, Role.SECRETARIAT),
        (council.chair, Role.CHAIR),
        (council.acting_chair, Role.ACTING_CHAIR),
        *((member, Role.MEMBER) for member in council.members),
    ]
    bodies = {
        key: User.objects.get(email=person.email)
        for person in DEMO_PEOPLE
        if (key := person.key) in ("body_center", "body_childcare")
    }
    seats += [(bodies["body_center"], Role.IMPLEMENTING_BODY),
              (bodies["body_childcare"], Role.IMPLEMENTING_BODY)]  # fmt: skip
    for user, role in seats:
        _seat(user, committee, role, start, end)
    people = DemoConsultationPeople(
        secretariat=council.secretariat,
        chair=council.chair,
        members=council.members,
        center=bodies["body_center"],
        childcare=bodies["body_childcare"],
    )
    load_demo_consultations(committee, people)
    return committee


@transaction.atomic
def load_demo_council() -> DemoCouncil | None:
    """Create the demo council and its people, or return None if the council exists."""
    if not (settings.DEMO or settings.DEBUG):
        # The logins have a published password: never create them on a real site.
        raise ImproperlyConfigured("the demo council loads only with KAIRAN_DEMO=1 or DEBUG=1")
    if demo_is_loaded():
        return None
    # Hashed once for everyone (the password is published anyway): hashing is slow on purpose.
    password = make_password(DEMO_PASSWORD)
    people = {person.key: _person(person, password) for person in DEMO_PEOPLE}
    committee = Committee.objects.create(name=DEMO_COMMITTEE_NAME)
    other, _ = Committee.objects.get_or_create(name=OTHER_COMMITTEE_NAME)
    _seat_everyone(committee, other, people)
    audit.record(
        "demo.council.loaded",
        obj=committee,
        committee=committee,
        actor_label=_LOADER,
        data={"people": [person.email for person in DEMO_PEOPLE]},
    )
    return DemoCouncil(
        committee=committee,
        other_committee=other,
        secretariat=people["secretariat"],
        chair=people["chair"],
        acting_chair=people["acting_chair"],
        members=(people["member_1"], people["member_2"], people["member_3"]),
        former_member=people["former_member"],
        outsider=people["outsider"],
    )


def _person(person: DemoPerson, password: str) -> User:
    user, created = User.objects.get_or_create(
        email=person.email, defaults={"full_name": person.full_name, "password": password}
    )
    if not created:  # left over from an earlier, deleted council: make the printed login work
        user.password = password
        user.save(update_fields=["password"])
    # A verified address: allauth refuses a login with an unverified one.
    EmailAddress.objects.update_or_create(
        user=user, email=person.email, defaults={"verified": True, "primary": True}
    )
    return user


def _seat_everyone(committee: Committee, other: Committee, people: dict[str, User]) -> None:
    today = timezone.localdate()
    start, end = current_term(today)
    roles = {
        "secretariat": Role.SECRETARIAT,
        "chair": Role.CHAIR,
        "acting_chair": Role.ACTING_CHAIR,
        "member_1": Role.MEMBER,
        "member_2": Role.MEMBER,
        "member_3": Role.MEMBER,
    }
    for key, role in roles.items():
        _seat(people[key], committee, role, start, end)
    # The previous two-year term: this member's seat ended before today.
    _seat(
        people["former_member"],
        committee,
        Role.MEMBER,
        start.replace(year=start.year - 2),
        start - dt.timedelta(days=1),
    )
    # The outsider sits on another council only: nothing of the demo council is theirs.
    _seat(people["outsider"], other, Role.MEMBER, start, end)


def _seat(user: User, committee: Committee, role: Role, start: dt.date, end: dt.date) -> None:
    membership = Membership.objects.create(
        user=user, committee=committee, role=role, term_start=start, term_end=end
    )
    audit.record(
        "committee.member.added",
        obj=membership,
        actor_label=_LOADER,
        data={"role": role.value, "term_start": start.isoformat(), "term_end": end.isoformat()},
    )
