"""Beat's reminder of open riders (付言): run with the rest of the due work.

A rider of an issued report is open until a response says 対応済み. When it has had no
response for the council's number of months (ConsultationRules.rider_reminder_months; 0
turns it off) — counted from the latest response, else from the report's issue, and from
the previous reminder — the implementing body's staff of the consultation get a reminder,
with a copy to the secretariat. Each reminder is claimed by compare-and-swap on
Rider.reminded_at, so two beat runs send it once; the outbox key names the day as well.

One query finds every due rider whatever the number of councils.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from circulation.mail.consultation import queue_rider_reminder
from circulation.models import ConsultationRules, Rider, RiderResponse, open_rider_filter
from portal import audit
from portal.models import Committee, Membership, Role


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    that month is shorter: 31 March − 1 month is 28 or 29 February)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _months_by_committee() -> dict[int, int]:
    """Each council's months, in one query (the default for a council without rules)."""
    default = ConsultationRules._meta.get_field("rider_reminder_months").get_default()
    rows = Committee.objects.values_list("pk", "consultation_rules__rider_reminder_months")
    return {pk: default if months is None else months for pk, months in rows}


def due_rider_reminders(
    now: dt.datetime, months_of: dict[int, int] | None = None
) -> QuerySet[Rider]:
    """Open riders owed a reminder now, annotated with `quiet_since`."""
    by_months: dict[int, list[int]] = defaultdict(list)
    for committee_id, months in (months_of or _months_by_committee()).items():
        if months > 0:
            by_months[months].append(committee_id)
    due = Q(pk__in=[])
    for months, committee_ids in by_months.items():
        due |= Q(
            consultation__committee_id__in=committee_ids,
            quiet_since__lte=months_before(now, months),
        )
    latest = (
        RiderResponse.objects.filter(rider_id=OuterRef("pk"))
        .order_by("-recorded_at")
        .values("recorded_at")[:1]
    )
    return (
        Rider.objects.filter(open_rider_filter())
        .annotate(
            quiet_since=Greatest(
                Coalesce(
                    Subquery(latest, output_field=DateTimeField()), F("consultation__issued_at")
                ),
                Coalesce(F("reminded_at"), F("consultation__issued_at")),
                output_field=DateTimeField(),
            )
        )
        .filter(due)
        .select_related("consultation__circulation__committee")
        .order_by("pk")
    )


def queue_rider_reminders(now: dt.datetime) -> list[int]:
    """Claim and queue every due rider reminder; returns the riders' ids."""
    months = _months_by_committee()
    reminded = []
    for rider in due_rider_reminders(now, months):
        with transaction.atomic():  # one rider at a time: a failure spoils no other
            claimed = Rider.objects.filter(pk=rider.pk, reminded_at=rider.reminded_at).update(
                reminded_at=now
            )
            if not claimed:  # another run got there first
                continue
            consultation = rider.consultation
            circulation = consultation.circulation
            key = f"rider-{rider.pk}-{timezone.localdate(now).isoformat()}"
            staff = [user for user in consultation.staff.all() if user.is_active]
            secretariat = [
                seat.user
                for seat in Membership.objects.on(timezone.localdate(now))
                .filter(committee=circulation.committee, role=Role.SECRETARIAT)
                .select_related("user")
                if seat.user.is_active
            ]
            people = {user.pk: user for user in [*staff, *secretariat]}
            for person in people.values():
                queue_rider_reminder(
                    rider, person, key=key, months=months.get(circulation.committee_id, 0)
                )
            audit.record(
                "consultation.rider.reminder_queued",
                obj=circulation,
                actor_label="beat",
                data={"rider": rider.pk, "to": [p.email for p in people.values()]},
            )
        reminded.append(rider.pk)
    return reminded
