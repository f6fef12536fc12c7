"""Read-only questions the portal's pages ask (no state changes here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress

from portal.models import Committee, Membership, Role

_ROLE_ORDER = {role.value: index for index, role in enumerate(Role)}


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    status: str  # "sitting", "future" or "ended" on the day asked about
    accepted: bool  # the person has verified their address (accepted an invitation)


def term_status(membership: Membership, day: dt.date) -> str:
    if membership.term_start > day:
        return "future"
    if membership.term_end is not None and membership.term_end < day:
        return "ended"
    return "sitting"


def member_rows(committee: Committee, day: dt.date) -> dict[str, list[MemberRow]]:
    """Every membership of the committee, grouped by sitting / future / ended on `day`,
    in role order, then by name. Two queries whatever the number of members."""
    memberships = list(Membership.objects.filter(committee=committee).select_related("user"))
    verified = {
        (user_id, email.lower())
        for user_id, email in EmailAddress.objects.filter(
            user__in={m.user_id for m in memberships}, verified=True
        ).values_list("user_id", "email")
    }
    groups: dict[str, list[MemberRow]] = {"sitting": [], "future": [], "ended": []}
    memberships.sort(
        key=lambda m: (_ROLE_ORDER.get(m.role, 99), m.user.full_name, m.term_start),
    )
    for m in memberships:
        accepted = (m.user_id, m.user.email.lower()) in verified
        groups[term_status(m, day)].append(MemberRow(m, term_status(m, day), accepted))
    groups["ended"].sort(key=lambda row: row.membership.term_end or day, reverse=True)
    return groups


def person_history(membership: Membership) -> list[Membership]:
    """All terms the person has had on this committee, oldest first."""
    return list(
        Membership.objects.filter(
            committee_id=membership.committee_id, user_id=membership.user_id
        ).order_by("term_start")
    )
