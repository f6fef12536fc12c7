"""Reading minutes written in Kairan (会議録): what Kairan knows to fill in a first draft
(a session's attendance and agenda; a written deliberation's replies, decision and Q&A),
and a version as the council reads it, withheld passages (非公開部分) included and marked.
The public's read is reads/public_records.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from circulation.models import (
    Circulation,
    Decision,
    Meeting,
    Minutes,
    MinutesCheck,
    MinutesPart,
    MinutesVersion,
    Question,
    Recipient,
    RecordSettings,
)
from circulation.templatetags.kairan import format_jst, format_meeting_time
from portal.models import SITTING_ROLES, Membership, Role

ROLE_ORDER = [Role.CHAIR, Role.ACTING_CHAIR, Role.MEMBER, Role.SECRETARIAT,
              Role.IMPLEMENTING_BODY]  # fmt: skip


@dataclass(frozen=True)
class PartInput:
    section: str
    text: str
    heading: str = ""
    speaker: str = ""
    speaker_name: str = ""
    withheld: bool = False
    withheld_reason: str = ""


@dataclass(frozen=True)
class MinutesContent:
    """One version's text, as the form or the first draft gives it."""

    title: str
    held: str
    place: str
    attendees: list[dict[str, str]] = field(default_factory=list)
    absentees: list[dict[str, str]] = field(default_factory=list)
    agenda: str = ""
    observers: int | None = None
    parts: list[PartInput] = field(default_factory=list)
    note: str = ""

    @classmethod
    def of(cls, version: MinutesVersion) -> MinutesContent:
        return cls(
            title=version.title, held=version.held, place=version.place,
            attendees=version.attendees, absentees=version.absentees, agenda=version.agenda,
            observers=version.observers,
            parts=[PartInput(p.section, p.text, p.heading, p.speaker, p.speaker_name, p.withheld,
                             p.withheld_reason) for p in version.parts.all()],
        )  # fmt: skip


def person(name: str, role: str) -> dict[str, str]:
    return {"name": name, "role": role}


def _seat_roles(committee_id: int, user_ids: set[int], day: object) -> dict[int, str]:
    """Each person's role on the council that day; the chair's seat before a member's."""
    roles: dict[int, str] = {}
    seats = Membership.objects.on(day).filter(committee_id=committee_id, user_id__in=user_ids)
    for user_id, role in seats.values_list("user_id", "role"):
        if user_id not in roles or ROLE_ORDER.index(role) < ROLE_ORDER.index(roles[user_id]):
            roles[user_id] = role
    return roles


def attendance_of(meeting: Meeting) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """出席者 and 欠席者 of a session: who attended as the secretariat recorded on the day,
    else as each answered (出席・ウェブ参加 attend; 欠席 and no answer do not)."""
    rows = list(meeting.attendances.select_related("user"))
    day = timezone.localdate(meeting.starts_at)
    roles = _seat_roles(meeting.committee_id, {a.user_id for a in rows}, day)
    attended, absent = [], []
    for row in rows:
        present = row.attended if row.attended is not None else row.counts_present
        entry = person(row.user.full_name, roles.get(row.user_id, Role.MEMBER))
        (attended if present else absent).append(entry)
    return sort_people(attended), sort_people(absent)


def sort_people(people: list[dict[str, str]]) -> list[dict[str, str]]:
    def key(p: dict[str, str]) -> tuple[int, str]:
        role = p.get("role", Role.MEMBER)
        return (ROLE_ORDER.index(role) if role in ROLE_ORDER else 99, p.get("name", ""))

    return sorted(people, key=key)


def checker_candidates(minutes: Minutes) -> list[tuple[int, str, bool]]:
    """Whom the secretariat may ask to check: the council's sitting people today, as
    (user id, name, attended) — the attendees ticked by default."""
    seats = (
        Membership.objects.current()
        .filter(committee_id=minutes.committee_id, role__in=SITTING_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    attended: set[int] = set()
    if minutes.meeting_id is not None:
        for a in minutes.meeting.attendances.all():
            if a.attended if a.attended is not None else a.counts_present:
                attended.add(a.user_id)
    seen: dict[int, tuple[int, str, bool]] = {}
    for seat in seats:
        seen.setdefault(seat.user_id, (seat.user_id, seat.user.full_name, seat.user_id in attended))
    return list(seen.values())


# --- A session's first draft ------------------------------------------------------------------


def session_prefill(meeting: Meeting) -> MinutesContent:
    """What Kairan knows of a session: its name, time, place, attendance and agenda."""
    attended, absent = attendance_of(meeting)
    # The record's own words are Japanese whatever the secretariat's language (the city's text).
    place = meeting.place or "ウェブ会議"
    if meeting.place and meeting.web_url:
        place = f"{meeting.place}(ウェブ会議併用)"
    agenda = [f"{item.position} {item.text}" for item in meeting.agenda_items.all()]
    parts = [PartInput(MinutesPart.Section.RESULT, "", heading=line) for line in agenda]
    elected = election_text(meeting, RecordSettings.settings_of(meeting.committee).public_names)
    if elected:
        at = next((i for i, line in enumerate(agenda) if "選任" in line), None)
        if at is None:
            parts.append(PartInput(MinutesPart.Section.RESULT, elected, heading="会長等の選任"))
        else:
            parts[at] = PartInput(MinutesPart.Section.RESULT, elected, heading=agenda[at])
    return MinutesContent(
        title=meeting.title or meeting.committee.name,
        held=format_meeting_time(meeting.starts_at, meeting.ends_at, language="ja"),
        place=place,
        attendees=attended,
        absentees=absent,
        agenda="\n".join(agenda),
        observers=meeting.observers,
        parts=parts,
    )


def election_text(meeting: Meeting, names: bool) -> str:
    """会長・職務代理者の選任 as the city writes it (会長:小松委員 …), or, where the council
    masks names, without them."""
    elections = list(meeting.elections.select_related("elected").order_by("recorded_at", "pk"))
    if not elections:
        return ""
    if not names:
        roles = "及び".join(dict.fromkeys(str(Role(e.role).label) for e in elections))
        return f"{roles}の選任を行った。"
    lines = [f"{Role(e.role).label}:{e.elected.full_name.split()[0]}委員" for e in elections]
    return "\n".join(["会長及び職務代理者の選任。", *lines, "に決定した。"])


# --- A written deliberation's first draft ----------------------------------------------------


def written_prefill(circulation: Circulation, decision: Decision) -> MinutesContent:
    """書面開催: who replied (出席者) and who did not, the agenda (the circulation, or the
    consultation's items), the result, every opinion as a member's, and the Q&A."""
    recipients = list(
        Recipient.objects.filter(circulation=circulation).select_related("user", "current_reply")
    )
    replied = [person(r.user.full_name, r.role) for r in recipients if r.current_reply_id]
    silent = [person(r.user.full_name, r.role) for r in recipients if not r.current_reply_id]
    sent = format_jst(circulation.sent_at, with_year=True, language="ja")
    deadline = format_jst(circulation.deadline, with_year=True, language="ja")
    parts: list[PartInput] = []
    Section, Speaker = MinutesPart.Section, MinutesPart.Speaker
    if circulation.is_consultation:
        consultation = circulation.consultation
        items = list(consultation.items.order_by("order"))
        agenda = [f"{i.order} 諮問第{consultation.number}号 {i.text}({consultation.department})"
                  for i in items]  # fmt: skip
        for line, item in zip(agenda, items, strict=True):
            result = str(item.get_result_display()) or "未定"
            parts.append(PartInput(Section.RESULT, f"{result}された。", heading=line))
    else:
        agenda = [f"1 {circulation.title}"]
        if decision.convene:
            text = "審議すべき重要事項があるとして、会議を開催することに決定した。"
        else:
            text = "審議すべき重要事項はないとして、会議は開催しないことに決定した。"
        reason = decision.reason.strip()
        parts.append(PartInput(Section.RESULT, f"{text}\n(理由){reason}" if reason else text,
                               heading=agenda[0]))  # fmt: skip
        for r in recipients:
            reply = r.current_reply
            if reply is not None and reply.opinion.strip():
                speaker = r.role if r.role in Speaker.values else Speaker.MEMBER
                parts.append(PartInput(Section.RESULT, reply.opinion.strip(), heading="意見",
                                       speaker=speaker, speaker_name=r.user.full_name))  # fmt: skip
    parts.extend(_qa_parts(circulation))
    return MinutesContent(
        title=f"{circulation.committee.name}(書面開催)",
        held=f"{sent}〜{deadline}(書面による)",
        place="書面開催",
        attendees=sort_people(replied),
        absentees=sort_people(silent),
        agenda="\n".join(agenda),
        parts=parts,
    )


def _qa_parts(circulation: Circulation) -> list[PartInput]:
    questions = list(
        Question.objects.filter(circulation=circulation)
        .select_related("asked_by", "answer", "answer__answered_by")
        .order_by("asked_at", "pk")
    )
    answerers = {q.answer.answered_by_id for q in questions if hasattr(q, "answer")}
    roles = _seat_roles(circulation.committee_id, answerers, timezone.localdate())
    parts = []
    for q in questions:
        parts.append(PartInput(MinutesPart.Section.QA, q.text.strip(), speaker=Role.MEMBER,
                               speaker_name=q.asked_by.full_name))  # fmt: skip
        if hasattr(q, "answer"):
            role = roles.get(q.answer.answered_by_id, Role.SECRETARIAT)
            if role not in (Role.SECRETARIAT, Role.IMPLEMENTING_BODY):
                role = Role.SECRETARIAT
            parts.append(PartInput(MinutesPart.Section.QA, q.answer.text.strip(), speaker=role))
    return parts


# --- The council's view of a version ----------------------------------------------------------


@dataclass
class MinutesPage:
    minutes: Minutes
    version: MinutesVersion
    parts: list[MinutesPart]
    versions: list[MinutesVersion]
    checks: list[MinutesCheck]
    checkers: list[tuple[str, str]]  # (name, this version's answer: approved/comment/"")

    @property
    def withheld_count(self) -> int:
        return sum(1 for p in self.parts if p.withheld)


def minutes_page(minutes: Minutes, number: int | None = None) -> MinutesPage:
    """A version (default: the latest) with its passages, every version, the answers of
    the attendees' check and who has not answered the version under check."""
    versions = list(minutes.versions.select_related("created_by").order_by("number"))
    number = number or minutes.latest_version
    version = next(v for v in versions if v.number == number)
    parts = list(version.parts.order_by("position"))
    checks = list(minutes.checks.select_related("user").order_by("at", "pk"))
    latest: dict[int, MinutesCheck] = {}
    for check in checks:
        if check.version == minutes.check_version:
            latest[check.user_id] = check
    checkers = []
    for checker in minutes.checkers.select_related("user").order_by("user__full_name"):
        answer = latest.get(checker.user_id)
        state = "" if answer is None else ("approved" if answer.approved else "comment")
        checkers.append((checker.user.full_name, state))
    return MinutesPage(minutes, version, parts, versions, checks, checkers)
