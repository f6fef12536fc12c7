"""The to-do list's providers for consultations (諮問): a vote awaiting a member, and the riders
(付言) of issued reports awaiting the implementing body's response (for the body's staff of
the consultation, and for the secretariat, who follows them up). Registered in
circulation/reads/todo.py; each costs at most one query, whatever the number of councils.

A rider awaits a response while it is open (no response says 対応済み) and either has no
response at all, or beat has reminded the body of it since its latest response
(circulation/jobs/riders.py). It is due when that reminder comes: the council's number of
months after the report was issued; at once once reminded. A council that turned the
reminder off (0 months) has its riders listed without a moment (after everything dated).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.db.models import F, Max, Q, QuerySet
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circulation.models import (
    Circulation,
    Consultation,
    ConsultationRules,
    Recipient,
    Rider,
    open_rider_filter,
)
from circulation.reads.todo_items import Seats, TodoItem
from portal.models import Committee, Role

_DEFAULT_MONTHS = ConsultationRules._meta.get_field("rider_reminder_months").get_default()


def number_of(consultation: Consultation) -> str:
    return _("諮問第%(number)s号") % {"number": consultation.number}


# --- Members ---------------------------------------------------------------------------------


def vote_item(receipt: Recipient, committee: Committee) -> TodoItem:
    """A consultation sent to the person, open, without their vote yet (the consultation's
    own page, at its vote form). Found with the replies awaited (todo.awaiting_reply): one
    query for both."""
    circulation = receipt.circulation
    return TodoItem(
        kind="vote",
        label=gettext_lazy("賛否待ち"),
        committee=committee,
        title=f"{number_of(circulation.consultation)} {circulation.title}",
        url=reverse("consultation_detail", args=[receipt.circulation_id]) + "#vote",
        action=gettext_lazy("資料を見て賛否を表明する"),
        due=circulation.deadline,
        deadline=circulation.deadline,
    )


# --- Riders awaiting a response --------------------------------------------------------------


def months_after(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months later (the month's last day when that
    month is shorter), as the reminder job counts them."""
    year, month = divmod(moment.year * 12 + moment.month - 1 + months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def riders_awaiting(riders: QuerySet[Rider]) -> list[Rider]:
    """The open riders among `riders` that await a response, each with `latest` (its latest
    response's time or None) and its consultation, circulation and council's rules: one
    query."""
    found = (
        riders.filter(open_rider_filter())
        .annotate(latest=Max("responses__recorded_at"))
        .filter(Q(latest__isnull=True) | Q(reminded_at__gt=F("latest")))
        .select_related("consultation__circulation", "consultation__committee__consultation_rules")
        .order_by("consultation__issued_at", "consultation__number", "order", "id")
    )
    return list(found)


def _months(rider: Rider) -> int:
    try:
        return rider.consultation.committee.consultation_rules.rider_reminder_months
    except ConsultationRules.DoesNotExist:
        return _DEFAULT_MONTHS


def rider_due(rider: Rider) -> dt.datetime | None:
    """When the response is due: at once once reminded, else when the reminder would come;
    None when the council turned the reminder off."""
    if rider.latest is not None:  # reminded since its latest response
        return rider.reminded_at
    months = _months(rider)
    if months <= 0:
        return None
    return months_after(rider.consultation.issued_at, months)


def rider_since(rider: Rider) -> dt.datetime:
    return rider.reminded_at if rider.latest is not None else rider.consultation.issued_at


def riders_to_respond(seats: Seats) -> list[TodoItem]:
    """For the implementing body: each rider awaiting a response on the consultations the
    person answers for (their staff), on councils where they hold the role today."""
    councils = seats.committees(Role.IMPLEMENTING_BODY)
    if not councils:
        return []
    theirs = Rider.objects.filter(
        consultation__committee_id__in=councils, consultation__staff=seats.user
    )
    riders = riders_awaiting(theirs)
    return [
        TodoItem(
            kind="rider_response",
            label=gettext_lazy("対応待ちの付言"),
            committee=councils[rider.consultation.committee_id],
            title=_("%(number)s 付言: %(text)s")
            % {
                "number": number_of(rider.consultation),
                "text": Truncator(rider.text).chars(80),
            },
            url=reverse("rider_respond", args=[rider.consultation_id, rider.pk]),
            action=gettext_lazy("対応状況を登録"),
            due=rider_due(rider),
            since=rider_since(rider),
        )
        for rider in riders
    ]


def riders_without_response(seats: Seats) -> list[TodoItem]:
    """For the secretariat: per council, the riders awaiting the implementing body's
    response (the council's open riders' page), due when the first is."""
    councils = seats.committees(Role.SECRETARIAT)
    if not councils:
        return []
    by_council: dict[int, list[Rider]] = defaultdict(list)
    for rider in riders_awaiting(Rider.objects.filter(consultation__committee_id__in=councils)):
        by_council[rider.consultation.committee_id].append(rider)
    items = []
    for committee_id, riders in by_council.items():
        dues = [due for rider in riders if (due := rider_due(rider)) is not None]
        items.append(
            TodoItem(
                kind="rider_unanswered",
                label=gettext_lazy("対応状況が未登録の付言"),
                committee=councils[committee_id],
                title=_("実施機関の対応状況が登録されていない付言"),
                url=reverse("committee_riders", args=[committee_id]),
                action=gettext_lazy("付言の対応状況を確認する"),
                due=min(dues) if dues else None,
                since=min(rider_since(rider) for rider in riders),
                count=len(riders),
            )
        )
    return items


# --- The chair's confirmation of a written result ---------------------------------------------


def result_words(circulation: Circulation, *, for_secretariat: bool = False) -> dict[str, object]:
    """A closed consultation waits for the chair's confirmation of its result (結果の確定),
    not for a decision to convene: the label, page and link words of its to-do item (the
    secretariat follows it up; the chair confirms it)."""
    return {
        "label": gettext_lazy("結果の確定待ち") if for_secretariat else gettext_lazy("結果の確定"),
        "url": reverse("consultation_result", args=[circulation.pk]),
        "action": gettext_lazy("結果の確定の状況を見る")
        if for_secretariat
        else gettext_lazy("賛否の集計を見て結果を確定する"),
    }
