"""Read side of sessions (会議): a council's list, one session's page (agenda, materials,
attendance, quorum, elections) and the quorum (定足数).

The quorum is the council's setting (Committee.quorum) applied to the members who sit on
the session's day (the chair, the acting chair and members). Before the attendance is
recorded it counts the answers 出席 and ウェブ参加 (a member taking part on the web counts
as present); once the secretariat has recorded the attendance, those who attended.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from circulation.models import Attendance, Election, Meeting, SessionMaterial
from circulation.uploads.checks import kind_label
from portal.models import SITTING_ROLES, Committee, Membership, Quorum


def quorum_needed(rule: str, sitting: int) -> int:
    """How many must be present for `sitting` members under the council's rule."""
    if rule == Quorum.HALF_OR_MORE:
        return math.ceil(sitting / 2)
    if rule == Quorum.TWO_THIRDS:
        return math.ceil(sitting * 2 / 3)
    return sitting // 2 + 1  # more than half (the usual rule)


@dataclass(frozen=True)
class QuorumState:
    rule_label: str
    sitting: int
    needed: int
    present: int
    recorded: bool  # from the recorded attendance (else from the answers)

    @property
    def met(self) -> bool:
        return self.sitting > 0 and self.present >= self.needed


def quorum_of(meeting: Meeting, attendances: list[Attendance]) -> QuorumState:
    """The quorum of the session, from the attendance rows already read (one query more:
    the members sitting on the session's day)."""
    day = timezone.localdate(meeting.starts_at)
    sitting = (
        Membership.objects.on(day)
        .filter(committee_id=meeting.committee_id, role__in=SITTING_ROLES)
        .values("user_id")
        .distinct()
        .count()
    )
    recorded = meeting.attendance_recorded_at is not None
    if recorded:
        present = sum(1 for a in attendances if a.attended)
    else:
        present = sum(1 for a in attendances if a.counts_present)
    committee = meeting.committee
    return QuorumState(
        rule_label=str(Quorum(committee.quorum).label),
        sitting=sitting,
        needed=quorum_needed(committee.quorum, sitting),
        present=present,
        recorded=recorded,
    )


@dataclass(frozen=True)
class MaterialRow:
    material: SessionMaterial
    kind: str  # PDF, Word …


@dataclass(frozen=True)
class SessionPage:
    meeting: Meeting
    agenda: list
    materials: list[MaterialRow]
    attendances: list[Attendance]
    mine: Attendance | None
    counts: dict[str, int]
    quorum: QuorumState
    elections: list[Election]


def session_page(meeting: Meeting, viewer_id: int) -> SessionPage:
    """Everything the session page shows, in a fixed number of queries."""
    agenda = list(
        meeting.agenda_items.select_related("circulation", "consultation").order_by("position")
    )
    materials = [
        MaterialRow(m, kind_label(m.content_type)) for m in meeting.materials.order_by("position")
    ]
    attendances = list(meeting.attendances.select_related("user").order_by("user__full_name"))
    counts = {"attend": 0, "web": 0, "absent": 0, "unanswered": 0}
    for row in attendances:
        counts[row.answer or "unanswered"] += 1
    return SessionPage(
        meeting=meeting,
        agenda=agenda,
        materials=materials,
        attendances=attendances,
        mine=next((a for a in attendances if a.user_id == viewer_id), None),
        counts=counts,
        quorum=quorum_of(meeting, attendances),
        elections=list(meeting.elections.select_related("elected").order_by("recorded_at")),
    )


def sessions_of(committee: Committee, now: dt.datetime | None = None) -> list[Meeting]:
    """The council's sessions, the latest first, with their counts of answers (one
    query, whatever the number of sessions)."""
    return list(
        Meeting.objects.filter(committee=committee)
        .select_related("circulation")
        .annotate(
            answered=Count("attendances", filter=~Q(attendances__answer="")),
            invited=Count("attendances"),
        )
        .order_by("-starts_at", "-pk")
    )
