"""A council of any size, built fast with bulk_create: for the query budgets
(tests/performance) and for the web benchmark (bench/web.py).

`grow(world, size)` brings the council up to a size: extra sitting members, each of them a
recipient of every circulation, materials with earlier versions, replies with several
versions, material openings, questions (half answered), past circulations the personas
received, and audit entries. Growing the same world from SMALL to LARGE lets a test count the
queries of one page at both sizes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, Max, OuterRef, Subquery
from django.utils import timezone

from circulation.models import (
    Answer,
    Circulation,
    Decision,
    Material,
    MaterialOpening,
    Question,
    Recipient,
    Reply,
)
from portal.models import SITTING_ROLES, AuditEntry, Committee, Membership, Role, User

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Council(Protocol):
    """The personas a world is built around (tests/conftest.py's `council` is one)."""

    committee: Committee
    secretariat: User
    chair: User
    acting_chair: User
    members: list[User]


@dataclass(frozen=True)
class Size:
    recipients: int  # recipients of each circulation (personas included)
    materials: int  # current materials of each circulation, each with one earlier version
    reply_versions: int  # versions of each reply
    questions: int
    past: int  # past (archived) circulations the personas received
    audit_entries: int


SMALL = Size(recipients=10, materials=1, reply_versions=1, questions=1, past=1, audit_entries=10)
LARGE = Size(
    recipients=1000, materials=20, reply_versions=3, questions=10, past=50, audit_entries=1000
)


@dataclass
class World:
    council: Council
    open: Circulation  # 回答受付中: the member's page, reply, questions, tracking
    closed: Circulation  # 締切: the chair decides
    decided: Circulation  # 決定済み: the decision record and its CSV
    draft: Circulation  # 下書き: the secretariat edits
    file_name: str
    size: Size | None = None
    past: list[Circulation] = field(default_factory=list)

    @property
    def member(self) -> User:
        return self.council.members[0]  # 田中 委員

    @property
    def circulations(self) -> list[Circulation]:
        return [self.open, self.closed, self.decided, self.draft]

    def material(self) -> Material:
        """A current material of the open circulation (for the download)."""
        return self.open.materials.filter(is_current=True).order_by("id").first()


def build(council: Council, size: Size) -> World:
    now = timezone.now()
    file_name = default_storage.save("materials/bench/shared.pdf", ContentFile(PDF_BYTES))
    secretariat = council.secretariat

    def circulation(title: str, state: str, deadline: dt.datetime) -> Circulation:
        return Circulation.objects.create(
            committee=council.committee,
            title=title,
            explanation="議事録をご確認ください。\n\n- 第3項に修正があります",
            deadline=deadline,
            state=state,
            created_by=secretariat,
            sent_at=None if state == Circulation.State.DRAFT else now - dt.timedelta(days=3),
            sent_by=None if state == Circulation.State.DRAFT else secretariat,
            closed_at=now - dt.timedelta(hours=1) if deadline < now else None,
        )

    S = Circulation.State
    world = World(
        council=council,
        open=circulation("第12回 管理運用会議 議事録", S.OPEN, now + dt.timedelta(days=7)),
        closed=circulation("第11回 管理運用会議 議事録", S.CLOSED, now - dt.timedelta(hours=2)),
        decided=circulation("第10回 管理運用会議 議事録", S.DECIDED, now - dt.timedelta(days=2)),
        draft=circulation("第13回 管理運用会議 議事録", S.DRAFT, now + dt.timedelta(days=14)),
        file_name=file_name,
    )
    Decision.objects.create(
        circulation=world.decided,
        convene=False,
        reason="重要な事項はないため",
        decided_by=council.chair,
        decided_as=Role.CHAIR,
        decided_at=now - dt.timedelta(days=1),
    )
    grow(world, size)
    return world


def grow(world: World, size: Size) -> None:
    """Bring the world up to `size` (never shrinks it)."""
    council = world.council
    _add_members(council, size.recipients)
    for circulation in world.circulations:
        _add_recipients(circulation)
        _add_materials(circulation, size.materials, world.file_name, council.secretariat)
        if circulation.state != Circulation.State.DRAFT:
            _add_replies(circulation, size.reply_versions, skip=world.member)
            _add_openings(circulation)
            _add_questions(circulation, size.questions, council.secretariat)
    _add_past(world, size.past)
    _add_audit_entries(council, size.audit_entries)
    # Materials and questions were added past the services: a new content version, as the
    # services would give (the member page keeps those parts per version).
    Circulation.objects.filter(pk__in=[c.pk for c in world.circulations]).update(
        content_version=F("content_version") + 1
    )
    world.size = size


def _sitting(council: Council) -> list[Membership]:
    return list(
        Membership.objects.current()
        .filter(committee=council.committee, role__in=SITTING_ROLES)
        .order_by("id")
    )


def _add_members(council: Council, recipients: int) -> None:
    missing = recipients - len(_sitting(council))
    if missing <= 0:
        return
    start = User.objects.count()
    users = User.objects.bulk_create(
        [
            User(
                email=f"iin{start + i}@example.jp",
                full_name=f"委員 {start + i:05d}",
                password=make_password(None),  # unusable: they never log in here
            )
            for i in range(missing)
        ]
    )
    today = timezone.localdate()
    Membership.objects.bulk_create(
        Membership(
            user=user,
            committee=council.committee,
            role=Role.MEMBER,
            term_start=today - dt.timedelta(days=100),
            term_end=today + dt.timedelta(days=600),
        )
        for user in users
    )


def _add_recipients(circulation: Circulation) -> None:
    have = set(circulation.recipients.values_list("user_id", flat=True))
    committee_id = circulation.committee_id
    Recipient.objects.bulk_create(
        Recipient(circulation=circulation, user_id=m.user_id, membership=m, role=m.role)
        for m in Membership.objects.current().filter(
            committee_id=committee_id, role__in=SITTING_ROLES
        )
        if m.user_id not in have
    )


def _add_materials(circulation: Circulation, count: int, file_name: str, by: User) -> None:
    current = circulation.materials.filter(is_current=True).count()
    for position in range(current + 1, count + 1):
        fields = {
            "circulation": circulation,
            "order": position,
            "file": file_name,
            "content_type": "application/pdf",
            "size": len(PDF_BYTES),
            "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
            "uploaded_by": by,
        }
        first = Material.objects.create(
            title=f"資料{position}", original_name=f"資料{position}.pdf", is_current=False, **fields
        )
        Material.objects.create(
            title=f"資料{position}(訂正)",
            original_name=f"資料{position}_訂正.pdf",
            version=2,
            replaces=first,
            change_note="誤字の訂正",
            **fields,
        )


def _add_replies(circulation: Circulation, versions: int, skip: User) -> None:
    """Two recipients in three reply (the personas' member keeps one version, so that the
    page shows a reply and the POST can name its version); every reply has `versions`."""
    recipients = list(circulation.recipients.order_by("id"))
    now = timezone.now()
    versions_now = dict(
        Reply.objects.filter(recipient__circulation=circulation)
        .values("recipient_id")
        .annotate(top=Max("version"))
        .values_list("recipient_id", "top")
    )
    new: list[Reply] = []
    for index, recipient in enumerate(recipients):
        have = versions_now.get(recipient.pk, 0)
        wanted = 1 if recipient.user_id == skip.pk else (0 if index % 3 == 2 else versions)
        for version in range(have + 1, wanted + 1):
            kind = Reply.Kind.OPINION if index % 2 else Reply.Kind.NO_OPINION
            new.append(
                Reply(
                    recipient=recipient,
                    version=version,
                    kind=kind,
                    opinion=f"意見 {index} 版{version}" if kind == Reply.Kind.OPINION else "",
                    meeting_needed=bool(index % 4 == 1),
                    submitted_by_id=recipient.user_id,
                    submitted_at=now - dt.timedelta(minutes=versions - version + 1),
                )
            )
    Reply.objects.bulk_create(new)
    newest = Reply.objects.filter(recipient=OuterRef("pk")).order_by("-version").values("pk")[:1]
    Recipient.objects.filter(circulation=circulation).update(current_reply=Subquery(newest))


def _add_openings(circulation: Circulation) -> None:
    MaterialOpening.objects.filter(material__circulation=circulation).delete()
    materials = list(circulation.materials.filter(is_current=True))
    users = list(circulation.recipients.values_list("user_id", flat=True).order_by("id"))
    openers = users[::10]  # one recipient in ten opened every material
    MaterialOpening.objects.bulk_create(
        MaterialOpening(material=material, user_id=user_id)
        for user_id in openers
        for material in materials
    )
    Recipient.objects.filter(circulation=circulation, user_id__in=openers).update(
        first_opened_at=timezone.now()
    )


def _add_questions(circulation: Circulation, count: int, by: User) -> None:
    have = circulation.questions.count()
    askers = list(circulation.recipients.values_list("user_id", flat=True).order_by("id"))
    for index in range(have, count):
        question = Question.objects.create(
            circulation=circulation, asked_by_id=askers[index % len(askers)], text=f"質問{index}"
        )
        if index % 2 == 0:
            Answer.objects.create(question=question, text=f"回答{index}", answered_by=by)


def _add_past(world: World, count: int) -> None:
    council = world.council
    now = timezone.now()
    for index in range(len(world.past), count):
        past = Circulation.objects.create(
            committee=council.committee,
            title=f"過去の書面照会 {index}",
            deadline=now - dt.timedelta(days=30 + index),
            state=Circulation.State.ARCHIVED,
            created_by=council.secretariat,
            sent_at=now - dt.timedelta(days=40 + index),
            sent_by=council.secretariat,
            closed_at=now - dt.timedelta(days=30 + index),
        )
        _add_recipients_of(past, [council.chair, council.acting_chair, *council.members])
        world.past.append(past)


def _add_recipients_of(circulation: Circulation, users: list[User]) -> None:
    recipients = Recipient.objects.bulk_create(
        Recipient(circulation=circulation, user=user) for user in users
    )
    Reply.objects.bulk_create(
        Reply(recipient=r, version=1, kind=Reply.Kind.NO_OPINION, submitted_by_id=r.user_id)
        for r in recipients
    )
    newest = Reply.objects.filter(recipient=OuterRef("pk")).values("pk")[:1]
    Recipient.objects.filter(circulation=circulation).update(current_reply=Subquery(newest))


def _add_audit_entries(council: Council, count: int) -> None:
    have = AuditEntry.objects.filter(committee=council.committee).count()
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=council.members[index % 3],
            actor_label=council.members[index % 3].email,
            action="circulation.reply.submitted",
            committee=council.committee,
            object_type="circulation.reply",
            object_id=str(index),
            object_repr=f"回答 {index}",
        )
        for index in range(have, count)
    )


@dataclass
class People:
    """Personas for a benchmark council (plainly fictional)."""

    committee: Committee
    secretariat: User
    chair: User
    acting_chair: User
    members: list[User]


def personas(name: str = "ベンチマーク審議会") -> People:
    """A committee with its secretariat, chair, acting chair and three members, whose terms
    cover today; the secretariat has TOTP, as production requires."""
    from allauth.mfa.models import Authenticator

    committee = Committee.objects.create(name=name)
    today = timezone.localdate()

    def person(email: str, full_name: str, role: str) -> User:
        user = User.objects.create_user(email, None, full_name=full_name)
        Membership.objects.create(
            user=user,
            committee=committee,
            role=role,
            term_start=today - dt.timedelta(days=200),
            term_end=today + dt.timedelta(days=530),
        )
        return user

    people = People(
        committee=committee,
        secretariat=person("jimukyoku@bench.example.jp", "事務局 一郎", Role.SECRETARIAT),
        chair=person("kaicho@bench.example.jp", "会長 花子", Role.CHAIR),
        acting_chair=person("dairi@bench.example.jp", "代理 次郎", Role.ACTING_CHAIR),
        members=[
            person(f"iin-{n}@bench.example.jp", f"委員 {n}号", Role.MEMBER) for n in (1, 2, 3)
        ],
    )
    Authenticator.objects.create(
        user=people.secretariat, type=Authenticator.Type.TOTP, data={"secret": "unused"}
    )
    return people
