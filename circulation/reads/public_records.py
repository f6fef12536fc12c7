"""The public's read of the records (公開記録): pages without login, the Atom feed and the
static export all read through here, in the layout of the city's pages (会議名, 日時, 場所,
出席者, 議題, 審議結果, 質疑 with speakers by role).

Withheld passages (非公開部分): their text is never read. The passages' query selects the
text through a CASE that gives "" for a withheld one, so what is withheld is not in memory
to leak into a template, the feed or the export; the page shows a note with the reason in
its place. Names of members (the chair and the acting chair included) are shown only when
the council's settings say so; otherwise they are 「委員」 (counts by role in 出席者).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, F, Max, OuterRef, Subquery, Value, When
from django.utils.translation import gettext as _

from circulation.models import Minutes, MinutesPart, MinutesVersion, Publication, RecordSettings
from portal.models import SITTING_ROLES, Committee, Role

_ROLE_LABELS = {
    Role.CHAIR: "会長",
    Role.ACTING_CHAIR: "職務代理者",
    Role.MEMBER: "委員",
    Role.SECRETARIAT: "事務局",
    Role.IMPLEMENTING_BODY: "実施機関",
}
_ROLE_ORDER = [Role.CHAIR, Role.ACTING_CHAIR, Role.MEMBER, Role.SECRETARIAT,
               Role.IMPLEMENTING_BODY]  # fmt: skip


def role_label(role: str) -> str:
    # The record's own words: a public record is the city's text, written in Japanese.
    return _ROLE_LABELS.get(role, "委員")


@dataclass(frozen=True)
class PublicPart:
    section: str
    heading: str
    speaker: str  # 「(委員)」, 「(委員 田中)」, 「(事務局)」 or ""
    text: str  # "" when withheld
    withheld_reason: str  # the note's reason when withheld, else ""

    @property
    def withheld(self) -> bool:
        return bool(self.withheld_reason)


@dataclass
class ResultGroup:
    heading: str
    parts: list[PublicPart] = field(default_factory=list)


@dataclass
class PublicRecord:
    minutes: Minutes
    committee: Committee
    department: str
    version: int
    title: str
    kind_label: str
    held: str
    place: str
    attendees: str
    absentees: str
    agenda: list[str]
    observers: int | None
    results: list[ResultGroup]
    qa: list[PublicPart]
    texts: list[PublicPart]
    published_at: dt.datetime | None
    updated_at: dt.datetime | None
    corrections: list[Publication]


def people_line(people: list[dict[str, str]], names: bool) -> str:
    """出席者: by name and role for the council's seats when names are shown, else counts by
    role (会長、委員3名、事務局); the secretariat and the implementing body by role only."""
    if not people:
        return ""
    counts: dict[str, int] = {}
    named: list[str] = []
    for p in people:
        role = p.get("role") or Role.MEMBER
        if names and role in SITTING_ROLES and p.get("name"):
            label = role_label(role)
            named.append(f"{p['name']}({label})" if role != Role.MEMBER else p["name"])
        else:
            counts[role] = counts.get(role, 0) + 1
    for role in sorted(counts, key=lambda r: _ROLE_ORDER.index(r) if r in _ROLE_ORDER else 99):
        label, n = role_label(role), counts[role]
        single = role in (Role.CHAIR, Role.ACTING_CHAIR, Role.SECRETARIAT, Role.IMPLEMENTING_BODY)
        named.append(label if single and n == 1 else f"{label}{n}名")
    return "、".join(named)


def speaker_label(speaker: str, name: str, names: bool) -> str:
    if not speaker:
        return ""
    label = role_label(speaker)
    if names and name and speaker in SITTING_ROLES:
        return f"({label} {name})"
    return f"({label})"


def public_parts(version: MinutesVersion, names: bool) -> list[PublicPart]:
    """The version's passages as the public reads them. A withheld passage's text is not
    selected (the CASE gives ""), nor, when names are masked, any speaker's name."""
    rows = (
        MinutesPart.objects.filter(version=version)
        .annotate(
            public_text=Case(
                When(withheld=True, then=Value("")), default=F("text"), output_field=CharField()
            )
        )
        .order_by("position")
        .values("section", "heading", "speaker", "public_text", "withheld", "withheld_reason",
                *(["speaker_name"] if names else []))
    )  # fmt: skip
    parts = []
    for row in rows:
        if not row["withheld"] and not row["public_text"].strip():
            continue  # an empty passage of the first draft: nothing to show
        parts.append(
            PublicPart(
                section=row["section"],
                heading=row["heading"],
                speaker=speaker_label(row["speaker"], row.get("speaker_name", ""), names),
                text=row["public_text"],
                withheld_reason=row["withheld_reason"] if row["withheld"] else "",
            )
        )
    return parts


def build_public_record(minutes: Minutes, number: int | None = None) -> PublicRecord:
    """The record as the public reads it: the published version (or, for the secretariat's
    preview, `number`)."""
    settings = RecordSettings.settings_of(minutes.committee)
    names = settings.public_names
    number = number or minutes.published_version
    version = MinutesVersion.objects.get(minutes=minutes, number=number)
    parts = public_parts(version, names)
    results: list[ResultGroup] = []
    for part in (p for p in parts if p.section == MinutesPart.Section.RESULT):
        if not results or results[-1].heading != part.heading:
            results.append(ResultGroup(part.heading))
        results[-1].parts.append(part)
    corrections = list(
        minutes.publications.filter(
            state=Publication.State.DONE, action=Publication.Action.CORRECT
        ).order_by("confirmed_at", "requested_at", "pk")
    )
    return PublicRecord(
        minutes=minutes,
        committee=minutes.committee,
        department=settings.department,
        version=version.number,
        title=version.title,
        kind_label=str(minutes.get_kind_display()),
        held=version.held,
        place=version.place,
        attendees=people_line(version.attendees, names),
        absentees=people_line(version.absentees, names),
        agenda=[line for line in version.agenda.splitlines() if line.strip()],
        observers=version.observers,
        results=results,
        qa=[p for p in parts if p.section == MinutesPart.Section.QA],
        texts=[p for p in parts if p.section == MinutesPart.Section.TEXT],
        published_at=minutes.first_published_at,
        updated_at=minutes.updated_at,
        corrections=corrections,
    )


def _published_title() -> Subquery:
    return Subquery(
        MinutesVersion.objects.filter(
            minutes=OuterRef("pk"), number=OuterRef("published_version")
        ).values("title")[:1]
    )


def _published_held() -> Subquery:
    return Subquery(
        MinutesVersion.objects.filter(
            minutes=OuterRef("pk"), number=OuterRef("published_version")
        ).values("held")[:1]
    )


def council_records(committee: Committee) -> list[Minutes]:
    """The council's published records, newest first, each with `public_title` and
    `public_held`: one query however many."""
    return list(
        Minutes.objects.filter(committee=committee, state=Minutes.State.PUBLISHED)
        .annotate(public_title=_published_title(), public_held=_published_held())
        .order_by("-first_published_at", "-pk")
    )


def public_councils() -> list[Committee]:
    """Councils with at least one published record, with `records` (how many) and `last`
    (the newest publication or correction): one query."""
    published = Minutes.State.PUBLISHED
    return list(
        Committee.objects.filter(minutes__state=published)
        .annotate(
            records=Count("minutes", distinct=True),
            last=Max("minutes__first_published_at"),
        )
        .order_by("name")
    )


def last_change(record: Minutes) -> dt.datetime | None:
    return record.updated_at or record.first_published_at


def no_records_text() -> str:
    return _("公開されている記録はありません。")
