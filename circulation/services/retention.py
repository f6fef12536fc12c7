"""The circulation's side of retention (保存期間): which of a council's records exist and
when each was last touched, their content for the transfer export (移管), and their removal
once the secretariat approved the disposal (廃棄). portal/retention decides what is due and
owns the transaction, the audit entry and the approval; this module knows the tables.

A circulation is one record with its materials (every version), recipients, replies (every
version), openings, questions and answers, decision, deadline extensions, reminders sent by
hand, meeting and minutes (the session's rows: retention_sessions.py), and whatever mail of
it is left; a consultation also with its votes, riders and their responses, statements and
report (retention_consultations.py).
Mail (outbox rows, received messages) may go earlier, per fiscal year, except received mail
whose attachments belong to a reply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from circulation.models import (
    Answer,
    Circulation,
    DeadlineExtension,
    Decision,
    InboundAttachment,
    InboundMessage,
    Material,
    MaterialOpening,
    Meeting,
    Minutes,
    OutboxMessage,
    Question,
    Recipient,
    ReminderNow,
    Reply,
)
from circulation.services.retention_consultations import delete_consultation_rows
from circulation.services.retention_sessions import (
    delete_meeting_rows,
    delete_minutes,
    session_files,
    unlink_from_agendas,
)

FINISHED = (Circulation.State.ARCHIVED, Circulation.State.DISCARDED)


@dataclass
class CirculationRecord:
    circulation: Circulation
    finished_on: dt.date  # the day of its last step (Japan time)
    meeting_on: dt.date | None  # its meeting's last step, if it had one


def finished_circulations(committee_id: int) -> Iterator[CirculationRecord]:
    """The council's archived or discarded circulations, with the day each was finished."""
    circulations = Circulation.objects.filter(
        committee_id=committee_id, state__in=FINISHED
    ).exclude(kind=Circulation.Kind.CONSULTATION)  # retention_consultations.py lists them
    decided = dict(
        Decision.objects.filter(circulation__in=circulations).values_list(
            "circulation_id", "decided_at"
        )
    )
    meetings = {m.circulation_id: m for m in Meeting.objects.filter(circulation__in=circulations)}
    for circulation in circulations.order_by("pk"):
        moments = [circulation.updated_at, circulation.closed_at, decided.get(circulation.pk)]
        meeting = meetings.get(circulation.pk)
        meeting_on = None
        if meeting is not None:
            meeting_moment = meeting.minutes_published_at or meeting.ends_at
            meeting_on = timezone.localdate(meeting_moment)
            moments.append(meeting_moment)
        last = max(moment for moment in moments if moment is not None)
        yield CirculationRecord(circulation, timezone.localdate(last), meeting_on)


def circulation_files(circulation_id: int) -> list[tuple[str, str, str]]:
    """(stored name, original name, sha256) of every file of the circulation."""
    found = [
        (m.file.name, f"material-{m.pk}-v{m.version}-{m.original_name}", m.sha256)
        for m in Material.objects.filter(circulation_id=circulation_id)
    ]
    found += session_files(Meeting.objects.filter(circulation_id=circulation_id))
    found += [
        (a.file.name, f"attachment-{a.pk}-{a.original_name}", a.sha256)
        for a in InboundAttachment.objects.filter(message__circulation_id=circulation_id)
    ]
    return found


@dataclass
class Removed:
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def add(self, label: str, count: int) -> None:
        if count:
            self.rows[label] = self.rows.get(label, 0) + count


def delete_circulation(circulation_id: int) -> Removed:
    """Every row of the circulation, children first (the foreign keys protect); the files
    are returned for the caller to delete after the commit."""
    removed = Removed(files=[name for name, _, _ in circulation_files(circulation_id)])
    inbound = InboundMessage.objects.filter(
        Q(circulation_id=circulation_id) | Q(recipient__circulation_id=circulation_id)
    )
    removed.add("inbound_attachment", _delete(InboundAttachment.objects.filter(
        Q(message__in=inbound) | Q(reply__recipient__circulation_id=circulation_id))))  # fmt: skip
    removed.add("inbound_message", _delete(inbound))
    removed.add(
        "outbox_message", _delete(OutboxMessage.objects.filter(circulation_id=circulation_id))
    )
    removed.add("material_opening", _delete(
        MaterialOpening.objects.filter(material__circulation_id=circulation_id)))  # fmt: skip
    removed.add("agenda_link", unlink_from_agendas(circulation_id))
    for label, count in delete_minutes(
        Minutes.objects.filter(circulation_id=circulation_id)
    ).items():
        removed.add(label, count)  # a written deliberation's record
    meeting = Meeting.objects.filter(circulation_id=circulation_id)
    for label, count in delete_meeting_rows(meeting).items():  # its session's rows
        removed.add(label, count)
    removed.add("answer", _delete(Answer.objects.filter(question__circulation_id=circulation_id)))
    removed.add("question", _delete(Question.objects.filter(circulation_id=circulation_id)))
    removed.add("decision", _delete(Decision.objects.filter(circulation_id=circulation_id)))
    for label, count in delete_consultation_rows(circulation_id).items():  # votes, riders…
        removed.add(label, count)
    removed.add("reminder_now", _delete(ReminderNow.objects.filter(circulation_id=circulation_id)))
    recipients = Recipient.objects.filter(circulation_id=circulation_id)
    recipients.update(current_reply=None)
    removed.add("reply", _delete(Reply.objects.filter(recipient__in=recipients)))
    removed.add("recipient", _delete(recipients))
    materials = Material.objects.filter(circulation_id=circulation_id)
    materials.update(replaces=None)
    removed.add("material", _delete(materials))
    removed.add("deadline_extension", _delete(
        DeadlineExtension.objects.filter(circulation_id=circulation_id)))  # fmt: skip
    removed.add("circulation", _delete(Circulation.objects.filter(pk=circulation_id)))
    return removed


def _delete(queryset: QuerySet) -> int:
    return queryset.delete()[0]


# --- Mail, per fiscal year ----------------------------------------------------------------


def council_outbox(committee_id: int, start: dt.datetime, end: dt.datetime) -> QuerySet:
    return OutboxMessage.objects.filter(
        _councils_mail(committee_id), created_at__gte=start, created_at__lt=end
    ).exclude(state__in=(OutboxMessage.State.QUEUED, OutboxMessage.State.SENDING))


def _councils_mail(committee_id: int) -> Q:
    """Mail about the council: of its circulations, or about it without one (its sessions
    held on their own)."""
    return Q(committee_id=committee_id) | Q(circulation__committee_id=committee_id)


def council_inbound(committee_id: int, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """Received mail of the council, except what holds a reply's attachments (those stay
    with the circulation) and what still waits for the secretariat."""
    kept_with_a_reply = InboundAttachment.objects.filter(
        message=OuterRef("pk"), reply__isnull=False
    )
    return (
        InboundMessage.objects.filter(
            committee_id=committee_id, received_at__gte=start, received_at__lt=end
        )
        .exclude(state__in=(*InboundMessage.NEEDS_ATTENTION, InboundMessage.State.RECEIVED))
        .exclude(Exists(kept_with_a_reply))
    )


def mail_years(committee_id: int) -> set[int]:
    """The fiscal years (April to March, by the year they start) in which the council has
    mail: between its first and its last message."""
    first = [
        OutboxMessage.objects.filter(_councils_mail(committee_id))
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
        InboundMessage.objects.filter(committee_id=committee_id)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first(),
    ]
    known = [moment for moment in first if moment is not None]
    if not known:
        return set()
    start = fiscal_year_of(timezone.localdate(min(known)))
    return set(range(start, fiscal_year_of(timezone.localdate()) + 1))


def delete_mail(committee_id: int, start: dt.datetime, end: dt.datetime) -> Removed:
    inbound = council_inbound(committee_id, start, end)
    removed = Removed(
        files=list(
            InboundAttachment.objects.filter(message__in=inbound).values_list("file", flat=True)
        )
    )
    removed.add(
        "inbound_attachment", _delete(InboundAttachment.objects.filter(message__in=inbound))
    )
    removed.add("inbound_message", _delete(inbound))
    removed.add("outbox_message", _delete(council_outbox(committee_id, start, end)))
    return removed


def fiscal_year_of(day: dt.date) -> int:
    """The Japanese fiscal year (年度) a day falls in: April to March, named by its start."""
    return day.year if day.month >= 4 else day.year - 1


def media_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def delete_session(meeting_id: int) -> Removed:
    """A session held on its own (retention_sessions.py), with its files for the caller to
    delete after the commit."""
    meeting = Meeting.objects.filter(pk=meeting_id, circulation__isnull=True)
    removed = Removed(files=[name for name, _, _ in session_files(meeting)])
    for label, count in delete_meeting_rows(meeting).items():
        removed.add(label, count)
    return removed
