"""やること of the minutes written in Kairan (会議録): a member's minutes awaiting their check
(委員確認), the chair's minutes to approve and publication steps to confirm, and the
secretariat's minutes to publish. One query each over every council where the person holds
the seat (the minutes to check: and one for their titles when there are some); registered in
reads/todo.py's PROVIDERS."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.models import (
    Minutes,
    MinutesCheck,
    MinutesVersion,
    Publication,
)
from circulation.reads.todo_items import Seats, TodoItem
from portal.models import SITTING_ROLES, Membership, Role


def _title(minutes: Minutes) -> str:
    return minutes.latest_title or str(_("会議録"))


def _with_title(queryset: QuerySet[Minutes]) -> QuerySet[Minutes]:
    title = MinutesVersion.objects.filter(minutes=OuterRef("pk"), number=OuterRef("latest_version"))
    return queryset.annotate(latest_title=Subquery(title.values("title")[:1]))


def minutes_to_check(seats: Seats) -> list[TodoItem]:
    """Minutes sent to the person for checking, not yet answered on the version under
    check, before the deadline."""
    councils = seats.committees(*SITTING_ROLES)
    if not councils:
        return []
    answered = MinutesCheck.objects.filter(
        minutes=OuterRef("pk"), version=OuterRef("check_version"), user=seats.user
    )
    # Every member's home asks this, and almost always finds nothing: the statement is kept
    # small (a join on the unique checker row, no title subquery); the minutes found are
    # read with their titles by a second one.
    found = list(
        Minutes.objects.filter(
            committee_id__in=councils,
            state=Minutes.State.CHECKING,
            check_deadline__gt=seats.now,
            checkers__user=seats.user,
        )
        .filter(~Exists(answered))
        .values_list("pk", flat=True)
    )
    if not found:
        return []
    minutes = _with_title(Minutes.objects.filter(pk__in=found)).only("committee", "check_deadline")
    return [
        TodoItem(
            kind="check_minutes",
            label=_("会議録の確認"),
            committee=councils[m.committee_id],
            title=_title(m),
            url=reverse("minutes_detail", args=[m.pk]) + "#check",
            action=_("会議録を確認する"),
            due=m.check_deadline,
            deadline=m.check_deadline,
        )
        for m in minutes
    ]


def minutes_for_the_chair(seats: Seats) -> list[TodoItem]:
    """For whoever decides for the council today: minutes checked by the attendees and
    waiting for approval (after their deadline), and publication steps to confirm."""
    as_chair = seats.committees(Role.CHAIR)
    as_acting = seats.committees(Role.ACTING_CHAIR)
    if not as_chair and not as_acting:
        return []
    councils = {**as_acting, **as_chair}
    # acting_decider_role's rule for every council in the same query: the chair unless
    # marked absent; the acting chair when the chair is marked absent or no chair sits.
    chair_sits = Membership.objects.on(timezone.localdate(seats.now)).filter(
        committee_id=OuterRef("committee_id"), role=Role.CHAIR
    )
    decides = Q(committee_id__in=[pk for pk, c in as_chair.items() if not c.chair_absent]) | Q(
        Q(committee__chair_absent=True) | ~Exists(chair_sits), committee_id__in=list(as_acting)
    )
    pending = Publication.objects.filter(minutes=OuterRef("pk"), state=Publication.State.PENDING)
    found = _with_title(
        Minutes.objects.filter(decides).filter(
            Q(state=Minutes.State.CHECKING, check_deadline__lte=seats.now) | Q(Exists(pending))
        )
    )
    return [
        TodoItem(
            kind="approve_minutes",
            label=_("会議録の承認"),
            committee=councils[m.committee_id],
            title=_title(m),
            url=reverse("minutes_detail", args=[m.pk]),
            action=_("会議録を確認して承認する"),
            due=m.check_deadline or seats.now,
            since=m.check_deadline,
        )
        for m in found
    ]


def minutes_to_publish(seats: Seats) -> list[TodoItem]:
    """For the secretariat: minutes the chair approved, not yet published."""
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    found = _with_title(
        Minutes.objects.filter(committee_id__in=councils, state=Minutes.State.APPROVED)
    )
    return [
        TodoItem(
            kind="publish_record",
            label=_("会議録の公開"),
            committee=councils[m.committee_id],
            title=_title(m),
            url=reverse("minutes_detail", args=[m.pk]),
            action=_("会議録を公開する"),
            due=m.approved_at,
            since=m.approved_at,
        )
        for m in found
    ]
