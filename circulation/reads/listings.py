"""Lists of circulations: a person's home page across committees, and a committee's
circulations for its secretariat."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from circulation.models import Circulation, Consultation, Recipient
from portal.models import Committee, Role, User
from portal.permissions import memberships_of, still_sits


@dataclass
class HomeItem:
    circulation: Circulation
    recipient: Recipient | None
    awaiting_reply: bool


@dataclass
class StaffCommittee:
    committee: Committee
    role: str
    counts: dict[str, int]
    open_circulations: list[Circulation] = field(default_factory=list)


@dataclass
class Home:
    awaiting: list[HomeItem] = field(default_factory=list)
    others: list[HomeItem] = field(default_factory=list)
    staff: list[StaffCommittee] = field(default_factory=list)
    others_more: int = 0  # other circulations beyond those shown (my_circulations has all)


# The home page shows this many of the person's other circulations, newest first; a member
# of many years has hundreds, which belong on their own page (my_circulations), not on the
# first screen of every visit.
HOME_OTHERS_SHOWN = 20


_VISIBLE = (
    Circulation.State.OPEN,
    Circulation.State.CLOSED,
    Circulation.State.DECIDED,
    Circulation.State.ARCHIVED,
)


def home_for(user: User, now: dt.datetime | None = None) -> Home:
    """未回答 first (soonest deadline first), then the HOME_OTHERS_SHOWN newest others."""
    home = receipts_of(user, now)
    home.others_more = max(len(home.others) - HOME_OTHERS_SHOWN, 0)
    del home.others[HOME_OTHERS_SHOWN:]
    home.staff = _staff_committees(user, now or timezone.now())
    return home


_RECEIPT_FIELDS = (
    "current_reply",
    "circulation__title",
    "circulation__state",
    "circulation__kind",
    "circulation__deadline",
    "circulation__committee__name",
)


def receipts_of(user: User, now: dt.datetime | None = None) -> Home:
    """Every circulation sent to the person that they may see: 未回答 first (soonest
    deadline first), then everything else, newest first. One query."""
    now = now or timezone.now()
    home = Home()
    receipts = (
        Recipient.objects.filter(user=user, circulation__state__in=_VISIBLE)
        # Consultations are listed apart (votes awaited: reads/todo_consultations.py).
        .exclude(circulation__kind=Circulation.Kind.CONSULTATION)
        .select_related("circulation__committee")
        # What a list shows (_circulation_item.html) and `awaiting` needs; a member of many
        # years has hundreds of rows, and each unused column costs on every visit.
        .only(*_RECEIPT_FIELDS)
        .order_by("circulation__deadline")
    )
    day = timezone.localdate(now)
    for recipient in receipts:
        circulation = recipient.circulation
        # Not for a recipient whose term has ended: they read it, they no longer reply.
        awaiting = (
            recipient.current_reply_id is None
            and circulation.accepts_replies_at(now)
            and still_sits(user, circulation.committee, day)
        )
        item = HomeItem(circulation=circulation, recipient=recipient, awaiting_reply=awaiting)
        (home.awaiting if awaiting else home.others).append(item)
    home.others.sort(key=lambda item: item.circulation.deadline, reverse=True)
    return home


def _staff_committees(user: User, now: dt.datetime) -> list[StaffCommittee]:
    """The committees where the person is secretariat or implementing body, with their
    circulations counted by state: two queries whatever the number of committees (the
    seats come from the memberships the request already read)."""
    seats = [
        m
        for m in memberships_of(user, timezone.localdate(now))
        if m.role in (Role.SECRETARIAT, Role.IMPLEMENTING_BODY)
    ]
    if not seats:
        return []
    counts = _state_counts({seat.committee_id for seat in seats})
    body_ids = {seat.committee_id for seat in seats if seat.role == Role.IMPLEMENTING_BODY}
    open_ones = _open_with_unanswered(body_ids, user)
    result = []
    for seat in seats:
        entry = StaffCommittee(
            committee=seat.committee, role=seat.role, counts=counts[seat.committee_id]
        )
        if seat.role == Role.IMPLEMENTING_BODY:
            entry.open_circulations = open_ones.get(seat.committee_id, [])
        result.append(entry)
    return result


def _empty_counts() -> dict[str, int]:
    return {state: 0 for state in Circulation.State.values}


def _state_counts(committee_ids: set[int]) -> dict[int, dict[str, int]]:
    rows = (
        Circulation.objects.filter(committee_id__in=committee_ids)
        .order_by()
        .values("committee_id", "state")
        .annotate(n=Count("id"))
    )
    counts = {committee_id: _empty_counts() for committee_id in committee_ids}
    for row in rows:
        counts[row["committee_id"]][row["state"]] = row["n"]
    return counts


def _open_with_unanswered(committee_ids: set[int], user: User) -> dict[int, list[Circulation]]:
    if not committee_ids:
        return {}
    found: dict[int, list[Circulation]] = {}
    # Of the consultations, only those the person answers for (their staff).
    staff = Consultation.staff.through.objects.filter(
        consultation_id=OuterRef("pk"), user_id=user.pk
    )
    circulations = (
        Circulation.objects.filter(
            committee_id__in=committee_ids, state=Circulation.State.OPEN
        ).filter(Q(kind=Circulation.Kind.CIRCULATION) | Q(Exists(staff)))
    ).annotate(unanswered=Count("questions", filter=Q(questions__answer__isnull=True)))
    for circulation in circulations:
        found.setdefault(circulation.committee_id, []).append(circulation)
    return found


def state_counts(committee: Committee) -> dict[str, int]:
    return _state_counts({committee.pk})[committee.pk]


@dataclass
class StateGroup:
    state: str
    label: str
    circulations: list[Circulation]


def committee_circulations(committee: Committee) -> list[StateGroup]:
    """The committee's circulations grouped by state, drafts and open ones first."""
    order = [
        Circulation.State.DRAFT,
        Circulation.State.OPEN,
        Circulation.State.CLOSED,
        Circulation.State.DECIDED,
        Circulation.State.ARCHIVED,
        Circulation.State.DISCARDED,
    ]
    circulations = (
        committee.circulations.exclude(kind=Circulation.Kind.CONSULTATION)
        .annotate(
            recipient_count=Count("recipients", distinct=True),
            replied_count=Count(
                "recipients", filter=Q(recipients__current_reply__isnull=False), distinct=True
            ),
            unanswered=Count("questions", filter=Q(questions__answer__isnull=True), distinct=True),
        )
        .order_by("deadline", "id")
    )
    grouped: dict[str, list[Circulation]] = {state: [] for state in order}
    for circulation in circulations:
        grouped[circulation.state].append(circulation)
    return [StateGroup(state, state.label, grouped[state]) for state in order]
