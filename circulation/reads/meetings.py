"""Read side of the meeting (会議): the panel the circulation's pages show, and the
upcoming meetings on a person's home page. Each costs at most one query, and none for a
circulation that was not decided 開催する (most pages of an open circulation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from circulation.models import Circulation, Decision, Meeting, Recipient
from portal.models import SITTING_ROLES, Role, User
from portal.permissions import memberships_of


@dataclass(frozen=True)
class MeetingPanel:
    """What templates/circulation/meeting/_summary.html shows."""

    circulation_id: int
    meeting: Meeting | None
    manages: bool  # the secretariat: links to change, cancel and the minutes
    may_schedule: bool  # decided 開催する, no meeting standing, the viewer is the secretariat
    may_change: bool = False  # the secretariat, a standing meeting that has not begun
    may_add_minutes: bool = False  # the secretariat, a meeting begun, minutes not published


def meeting_panel(
    circulation: Circulation, decision: Decision | None, *, manages: bool
) -> MeetingPanel | None:
    """The panel for a circulation decided 開催する, else None (no query)."""
    if decision is None or not decision.convene:
        return None
    return panel_of(circulation, meeting_of(circulation), manages=manages)


def meeting_of(circulation: Circulation) -> Meeting | None:
    """The circulation's meeting with its published minutes (one query)."""
    return (
        Meeting.objects.filter(circulation=circulation).select_related("published_minutes").first()
    )


def panel_of(
    circulation: Circulation, meeting: Meeting | None, *, manages: bool
) -> MeetingPanel | None:
    """The panel of a circulation decided 開催する, from its meeting already read."""
    standing = meeting is not None and not meeting.is_cancelled
    may_schedule = manages and not standing and circulation.state == Circulation.State.DECIDED
    if meeting is None and not may_schedule:
        return None
    began = standing and meeting.has_started(timezone.now())
    return MeetingPanel(
        circulation.pk,
        meeting,
        manages,
        may_schedule,
        may_change=manages and standing and not began,
        may_add_minutes=manages and began and meeting.published_minutes_id is None,
    )


def upcoming_meetings(user: User, now: dt.datetime | None = None) -> list[Meeting]:
    """The meetings the person is invited to that have not ended, soonest first, cancelled
    ones included (so that nobody sets out for a meeting that will not take place): those
    of circulations they received on committees where they sit today, and every meeting of
    the committees where they are the chair, the acting chair or the secretariat."""
    now = now or timezone.now()
    seats = memberships_of(user, timezone.localdate(now))
    sitting = {m.committee_id for m in seats if m.role in SITTING_ROLES}
    leading = {
        m.committee_id for m in seats if m.role in (Role.CHAIR, Role.ACTING_CHAIR, Role.SECRETARIAT)
    }
    if not sitting and not leading:
        return []
    # A session scheduled on its own (no circulation) invites everyone who sits.
    # EXISTS rather than a join: a join through 1,000 recipients needs DISTINCT.
    received = Exists(
        Recipient.objects.filter(circulation_id=OuterRef("circulation_id"), user=user)
    )
    invited = (
        Q(committee_id__in=leading)
        | Q(committee_id__in=sitting, circulation__isnull=True)
        | Q(received, committee_id__in=sitting)
    )
    return list(
        Meeting.objects.filter(invited, ends_at__gt=now)
        .select_related("committee", "circulation")
        # What the home page shows: the statement is built on every visit.
        .only(*_UPCOMING_FIELDS)
        .order_by("starts_at", "pk")
    )


_UPCOMING_FIELDS = (
    "committee__name",
    "circulation__title",
    "number",
    "title",
    "state",
    "starts_at",
    "ends_at",
    "place",
    "web_url",
)
