"""The to-do list (やること) of the home page: what each person must do next, across all their
councils, most urgent first, each item one tap from its page.

Each kind of item comes from one provider: a small function that, given the person's seats
today, returns its items from one query over every council where it applies (none where the
person holds no seat of its kind; a second only to name what was found, as the minutes to
check read their titles when there are some). So the list costs the same number of queries
for a person on one council as on twenty, and a new kind of work (a vote awaiting the
member, a rider awaiting a response…) is one more provider in PROVIDERS.

Urgency: an item is due at a moment (a reply's deadline; for work already waiting, when it
should have been done — the decision by the chair's reminder, a question by the deadline,
held or failed mail at once). Items are shown soonest due first; items with no moment
(drafts) come last, the oldest first.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.models import (
    Circulation,
    Consultation,
    InboundMessage,
    Meeting,
    OutboxMessage,
    Recipient,
)
from circulation.reads import todo_consultations as consultations
from circulation.reads import todo_records, todo_sessions
from circulation.reads.held_mail import waiting_q
from circulation.reads.todo_items import Provider, Seats, TodoItem
from portal.models import SITTING_ROLES, Membership, Role, User
from portal.permissions import memberships_of

__all__ = ["KIND_ORDER", "PROVIDERS", "Seats", "TodoItem", "todo_for"]


# --- Members ---------------------------------------------------------------------------------


def awaiting_reply(seats: Seats) -> list[TodoItem]:
    """Circulations sent to the person, open, not yet replied to, on councils where they
    sit today (a recipient whose term has ended no longer replies); consultations among
    them are votes awaited (todo_consultations.vote_item). One query for both."""
    sitting = seats.committees(*SITTING_ROLES)
    if not sitting:
        return []
    receipts = Recipient.objects.filter(
        user=seats.user,
        current_reply__isnull=True,
        circulation__state=Circulation.State.OPEN,
        circulation__deadline__gt=seats.now,
        circulation__committee_id__in=sitting,
    ).select_related("circulation__consultation")
    # Only what an item shows: the statement is built on every visit of the home page.
    receipts = receipts.only(
        "circulation__committee",
        "circulation__title",
        "circulation__kind",
        "circulation__deadline",
        "circulation__consultation__number",
    )
    items = []
    for r in receipts:
        committee = sitting[r.circulation.committee_id]
        if r.circulation.kind == Circulation.Kind.CONSULTATION:
            items.append(consultations.vote_item(r, committee))
            continue
        items.append(
            TodoItem(
                kind="reply",
                label=_("回答待ち"),
                committee=committee,
                title=r.circulation.title,
                url=reverse("circulation_detail", args=[r.circulation_id]),
                action=_("資料を見て回答する"),
                due=r.circulation.deadline,
                deadline=r.circulation.deadline,
            )
        )
    return items


# --- The chair and the acting chair ----------------------------------------------------------


def decisions_waiting(seats: Seats) -> list[TodoItem]:
    """Closed circulations the person decides today: as chair unless marked absent; as
    acting chair when the chair is marked absent or no chair sits (the rule of
    permissions.acting_decider_role, for every council in one query)."""
    as_chair = seats.committees(Role.CHAIR)
    as_acting = seats.committees(Role.ACTING_CHAIR)
    if not as_chair and not as_acting:
        return []
    chair_sits = Membership.objects.on(timezone.localdate(seats.now)).filter(
        committee_id=OuterRef("committee_id"), role=Role.CHAIR
    )
    decides = Q(committee_id__in=as_chair, committee__chair_absent=False) | Q(
        Q(committee__chair_absent=True) | ~Exists(chair_sits), committee_id__in=as_acting
    )
    closed = Circulation.objects.filter(decides, state=Circulation.State.CLOSED).select_related(
        "committee"
    )
    return [
        TodoItem(
            kind="decide",
            committee=c.committee,
            title=c.title,
            due=_chair_reminder_moment(c),
            since=c.closed_at or c.deadline,
            **(
                consultations.result_words(c)
                if c.is_consultation
                else {
                    "label": _("開催の要否"),
                    "url": reverse("circulation_decision", args=[c.pk]),
                    "action": _("開催の要否を決定する"),
                }
            ),
        )
        for c in closed
    ]


def _chair_reminder_moment(circulation: Circulation) -> dt.datetime:
    """When the chair would be reminded: the decision is due by then."""
    closed_at = circulation.closed_at or circulation.deadline
    return closed_at + dt.timedelta(days=circulation.committee.chair_reminder_days)


# --- The secretariat and the implementing body -----------------------------------------------

_ANSWERABLE = (Circulation.State.OPEN, Circulation.State.CLOSED, Circulation.State.DECIDED)


def questions_to_answer(seats: Seats) -> list[TodoItem]:
    """Circulations with questions nobody has answered yet, for the secretariat and the
    implementing body (both answer)."""
    answering = seats.committees(Role.SECRETARIAT, Role.IMPLEMENTING_BODY)
    if not answering:
        return []
    unanswered = Q(questions__answer__isnull=True)
    # The implementing body answers on a consultation only if named as its staff.
    body_only = [pk for pk in answering if pk not in seats.committees(Role.SECRETARIAT)]
    not_theirs = Q(committee_id__in=body_only, kind=Circulation.Kind.CONSULTATION) & ~Q(
        pk__in=Consultation.staff.through.objects.filter(user=seats.user).values("consultation")
    )
    circulations = (
        Circulation.objects.filter(committee_id__in=answering, state__in=_ANSWERABLE)
        .exclude(not_theirs)
        .annotate(
            unanswered=Count("questions", filter=unanswered),
            first_asked=Min("questions__asked_at", filter=unanswered),
        )
        .filter(unanswered__gt=0)
    )
    return [
        TodoItem(
            kind="answer",
            label=_("未回答の質問"),
            committee=answering[c.committee_id],
            title=c.title,
            url=reverse("circulation_questions", args=[c.pk]),
            action=_("質問に回答する"),
            # Answers help the members while they can still reply; later ones wait.
            due=c.deadline if c.state == Circulation.State.OPEN else c.first_asked,
            since=c.first_asked,
            count=c.unanswered,
        )
        for c in circulations
    ]


def held_mail(seats: Seats) -> list[TodoItem]:
    """Mail held for the secretariat or not matched to anything, per council: counted for
    every council in one aggregate query."""
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    aggregates = {}
    for committee_id in councils:
        waiting = waiting_q(committee_id)
        aggregates[f"n{committee_id}"] = Count("pk", filter=waiting)
        aggregates[f"first{committee_id}"] = Min("received_at", filter=waiting)
    found = InboundMessage.objects.filter(state__in=InboundMessage.NEEDS_ATTENTION).aggregate(
        **aggregates
    )
    items = []
    for committee_id, committee in councils.items():
        count = found[f"n{committee_id}"] or 0
        if count:
            first = found[f"first{committee_id}"]
            items.append(
                TodoItem(
                    kind="held_mail",
                    label=_("保留中のメール"),
                    committee=committee,
                    title=str(_("保留中・照合できないメール")),
                    url=reverse("inbound_list", args=[committee_id]),
                    action=_("メールを確認する"),
                    due=first,
                    since=first,
                    count=count,
                )
            )
    return items


def failed_mail(seats: Seats) -> list[TodoItem]:
    """Mail that could not be delivered, per circulation still in progress (once a
    circulation is archived its failures stay on its tracking page, off the list)."""
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    failed = Q(outbox__state=OutboxMessage.State.FAILED)
    circulations = (
        Circulation.objects.filter(committee_id__in=councils, state__in=_ANSWERABLE)
        .annotate(
            failed=Count("outbox", filter=failed), first=Min("outbox__created_at", filter=failed)
        )
        .filter(failed__gt=0)
    )
    return [
        TodoItem(
            kind="failed_mail",
            label=_("届かなかったメール"),
            committee=councils[c.committee_id],
            title=c.title,
            url=reverse("circulation_tracking", args=[c.pk]) + "#failed-heading",
            action=_("届かなかったメールを確認する"),
            due=c.first,
            since=c.first,
            count=c.failed,
        )
        for c in circulations
    ]


def undecided(seats: Seats) -> list[TodoItem]:
    """Closed circulations still waiting for the chair's decision (the secretariat follows
    them up; the chair is reminded by mail)."""
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    closed = Circulation.objects.filter(committee_id__in=councils, state=Circulation.State.CLOSED)
    return [
        TodoItem(
            kind="undecided",
            committee=councils[c.committee_id],
            title=c.title,
            due=(c.closed_at or c.deadline)
            + dt.timedelta(days=councils[c.committee_id].chair_reminder_days),
            since=c.closed_at or c.deadline,
            **(
                consultations.result_words(c, for_secretariat=True)
                if c.is_consultation
                else {
                    "label": _("決定待ち"),
                    "url": reverse("circulation_decision", args=[c.pk]),
                    "action": _("開催の要否の状況を見る"),
                }
            ),
        )
        for c in closed
    ]


def drafts(seats: Seats) -> list[TodoItem]:
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    found = Circulation.objects.filter(
        committee_id__in=councils, state=Circulation.State.DRAFT
    ).order_by("updated_at")
    return [
        TodoItem(
            kind="draft",
            label=_("下書き"),
            committee=councils[c.committee_id],
            title=c.title,
            url=reverse("circulation_edit", args=[c.pk]),
            action=_("下書きを編集する"),
            due=None,
            since=c.updated_at,
        )
        for c in found
    ]


def minutes_to_publish(seats: Seats) -> list[TodoItem]:
    """Meetings whose minutes were uploaded but not yet published."""
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    meetings = (
        Meeting.objects.filter(
            committee_id__in=councils,
            state=Meeting.State.SCHEDULED,
            published_minutes__isnull=True,
        )
        .annotate(uploaded=Max("minutes_versions__uploaded_at"))
        .filter(uploaded__isnull=False)
        .select_related("circulation")
    )
    return [
        TodoItem(
            kind="publish_minutes",
            label=_("会議録の公開"),
            committee=councils[m.committee_id],
            title=m.circulation.title,
            url=reverse("meeting_detail", args=[m.circulation_id]),
            action=_("会議録を確認して公開する"),
            due=m.uploaded,
            since=m.uploaded,
        )
        for m in meetings
    ]


# In this order when two items are due at the same moment.
PROVIDERS: list[Provider] = [
    awaiting_reply,  # and the votes awaited
    decisions_waiting,
    questions_to_answer,
    held_mail,
    failed_mail,
    undecided,
    minutes_to_publish,
    todo_records.minutes_to_check,
    todo_records.minutes_for_the_chair,
    todo_records.minutes_to_publish,
    consultations.riders_to_respond,
    consultations.riders_without_response,
    drafts,
    todo_sessions.attendance_to_answer,
    todo_sessions.attendance_to_record,
]
KIND_ORDER = {
    "reply": 0,
    "decide": 1,
    "answer": 2,
    "held_mail": 3,
    "failed_mail": 4,
    "undecided": 5,
    "publish_minutes": 6,
    "check_minutes": 6,
    "approve_minutes": 6,
    "publish_record": 6,
    "draft": 7,
    "vote": 0,
    "rider_response": 6,
    "rider_unanswered": 6,
    "attendance": 8,
    "record_attendance": 9,
}


def todo_for(user: User, now: dt.datetime | None = None) -> list[TodoItem]:
    """Everything the person has to do, across their councils, most urgent first."""
    now = now or timezone.now()
    seats = Seats(user=user, now=now, memberships=memberships_of(user, timezone.localdate(now)))
    if not seats.memberships:
        return []
    items = [item for provider in PROVIDERS for item in provider(seats)]
    return sorted(items, key=sort_key)


def sort_key(item: TodoItem) -> tuple[bool, dt.datetime, int]:
    moment = item.due or item.since or dt.datetime.max.replace(tzinfo=dt.UTC)
    return (item.due is None, moment, KIND_ORDER.get(item.kind, 99))
