"""Retention (保存期間) of consultations (諮問): what a consultation adds to its circulation's
record — the items and their results, every vote (per item, per reply version), the riders
(付言) and every response (対応状況), the meeting's statements, the report (答申) — for the
list of what is past its period, the transfer export (移管) and the approved disposal (廃棄).
circulation/services/retention.py handles the circulation's own rows (materials, replies,
questions, mail…) for both kinds; this module only what is the consultation's.

A consultation is finished when it is archived (the report issued) or discarded, and none of
its riders is still open: a rider waiting for the implementing body's 対応済み keeps the
whole record in use. Its last step is the latest of the circulation's steps, the decision,
the report's issue and the riders' responses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.utils import timezone

from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    ItemVote,
    Rider,
    RiderResponse,
    Statement,
    open_rider_filter,
)

FINISHED = (Circulation.State.ARCHIVED, Circulation.State.DISCARDED)


@dataclass
class ConsultationRecord:
    circulation: Circulation
    consultation: Consultation
    finished_on: dt.date  # the day of its last step (Japan time)

    @property
    def label(self) -> str:
        number, circulation = self.consultation.number, self.circulation
        return f"諮問第{number}号 {circulation.title}(No.{circulation.pk})"


def finished_consultations(committee_id: int) -> Iterator[ConsultationRecord]:
    """The council's finished consultations (see above), with the day each was finished:
    three queries."""
    consultations = (
        Consultation.objects.filter(committee_id=committee_id, circulation__state__in=FINISHED)
        .exclude(pk__in=Rider.objects.filter(open_rider_filter()).values("consultation_id"))
        .select_related("circulation")
        .annotate(last_response=Max("riders__responses__recorded_at"))
        .order_by("pk")
    )
    for consultation in consultations:
        circulation = consultation.circulation
        moments = [
            circulation.updated_at,
            circulation.closed_at,
            consultation.decided_at,
            consultation.issued_at,
            consultation.last_response,
        ]
        last = max(moment for moment in moments if moment is not None)
        yield ConsultationRecord(circulation, consultation, timezone.localdate(last))


def delete_consultation_rows(circulation_id: int) -> dict[str, int]:
    """The consultation's own rows, children first (the foreign keys protect); called by
    `delete_circulation` before the replies (votes point at them) and the circulation."""
    removed: dict[str, int] = {}

    def delete(label: str, queryset: QuerySet) -> None:
        count = queryset.delete()[0]
        if count:
            removed[label] = count

    delete("rider_response", RiderResponse.objects.filter(rider__consultation_id=circulation_id))
    delete("rider", Rider.objects.filter(consultation_id=circulation_id))
    delete("statement", Statement.objects.filter(consultation_id=circulation_id))
    delete("item_vote", ItemVote.objects.filter(item__consultation_id=circulation_id))
    delete("consultation_item", ConsultationItem.objects.filter(consultation_id=circulation_id))
    delete(
        "consultation_staff", Consultation.staff.through.objects.filter(
            consultation_id=circulation_id)
    )  # fmt: skip
    delete("consultation", Consultation.objects.filter(pk=circulation_id))
    return removed


# --- The transfer export ---------------------------------------------------------------------


@dataclass
class ConsultationExport:
    """What the export adds for a consultation: the rows for record.html and its CSVs."""

    consultation: Consultation
    items: list[ConsultationItem]
    riders: list[Rider]
    statements: list[Statement]
    votes: list[ItemVote]


def consultation_export(circulation_id: int) -> ConsultationExport | None:
    """The consultation's rows for the export (None for a circulation of the other kind)."""
    consultation = (
        Consultation.objects.select_related("decided_by", "issued_by")
        .prefetch_related("staff")
        .filter(pk=circulation_id)
        .first()
    )
    if consultation is None:
        return None
    return ConsultationExport(
        consultation=consultation,
        items=list(ConsultationItem.objects.filter(consultation=consultation)),
        riders=list(
            Rider.objects.filter(consultation=consultation).prefetch_related(
                "responses__recorded_by"
            )
        ),
        statements=list(
            Statement.objects.filter(consultation=consultation).select_related("speaker")
        ),
        votes=list(
            ItemVote.objects.filter(item__consultation=consultation)
            .select_related("reply__recipient__user", "item")
            .order_by("reply__recipient_id", "reply__version", "item__order")
        ),
    )


VOTE_HEADER = ["recipient", "email", "version", "submitted_at", "item", "vote", "opinion",
               "proposed_rider"]  # fmt: skip
RIDER_HEADER = ["rider", "order", "text", "adopted_at", "response", "responded_on", "done",
                "recorded_by", "recorded_at"]  # fmt: skip


def vote_rows(export: ConsultationExport) -> list[list[object]]:
    return [
        [v.reply.recipient.user.full_name, v.reply.recipient.user.email, v.reply.version,
         v.reply.submitted_at.isoformat(), v.item.order, v.vote, v.opinion, v.proposed_rider]
        for v in export.votes
    ]  # fmt: skip


def rider_rows(export: ConsultationExport) -> list[list[object]]:
    rows: list[list[object]] = []
    for rider in export.riders:
        base = [rider.pk, rider.order, rider.text, rider.adopted_at.isoformat()]
        responses = list(rider.responses.all())
        rows += [
            [*base, r.text, r.responded_on.isoformat(), r.done, r.recorded_by.full_name,
             r.recorded_at.isoformat()]
            for r in responses
        ] or [[*base, None, None, None, None, None]]  # fmt: skip
    return rows
