"""Sessions (会議) the secretariat schedules on their own — 第N回, with a numbered agenda
(議題) and materials (資料1 …) — besides the meetings that follow a circulation decided
開催する (services/meetings.py, which also changes and cancels both kinds).

Each function here changes one session, writes its audit entry and queues its mail in one
transaction. What was typed that cannot be used raises `MeetingInvalid` (with the field);
a step not possible now raises `MeetingRefused` (logged as `meeting.refused`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.meeting import INVITATION, queue_meeting_notices
from circulation.models import AgendaItem, Circulation, Consultation, Meeting, SessionMaterial
from circulation.models.meeting import MeetingDetails
from circulation.services.attendance import ensure_attendances
from circulation.services.meetings import (
    MeetingInvalid,
    MeetingRefused,
    apply_details,
    check_details,
    locked_session,
    log_refusal,
)
from circulation.uploads.checks import CheckedUpload
from circulation.uploads.stash import save_checked
from portal import audit
from portal.models import Committee, User
from portal.permissions_session import SessionAction, may_on_session_committee

TITLE_MAX_LENGTH = 200
AGENDA_TEXT_MAX_LENGTH = 300
AGENDA_MAX_ITEMS = 30


@dataclass(frozen=True)
class AgendaLine:
    """One item as typed: its text, and optionally the circulation or consultation of the
    same council it is about (the text may then be empty: the title is used)."""

    text: str = ""
    circulation_id: int | None = None
    consultation_id: int | None = None


def _not_secretariat() -> MeetingRefused:
    return MeetingRefused(_("会議を設定・変更できるのは事務局だけです。"), "not_secretariat")


def schedule_session(
    committee_id: int,
    *,
    by: User,
    details: MeetingDetails,
    number: int | None = None,
    title: str = "",
    agenda: list[AgendaLine] | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Schedule a session of the council on its own and invite everyone who sits on it and
    the secretariat (with the calendar file and, for those who sit, the attendance links)."""
    now = now or timezone.now()
    details = check_details(details, now)
    title = " ".join(title.split())
    if len(title) > TITLE_MAX_LENGTH:
        raise MeetingInvalid(
            _("会議名は%(max)d文字以内で入力してください。") % {"max": TITLE_MAX_LENGTH}, "title"
        )
    if number is not None and number < 1:
        raise MeetingInvalid(_("回は1以上の数で入力してください。"), "number")
    with transaction.atomic():
        committee = Committee.objects.select_for_update().get(pk=committee_id)
        if not may_on_session_committee(by, SessionAction.MANAGE, committee):
            refusal = _not_secretariat()
        else:
            refusal = None
            lines = _checked_agenda(committee, agenda or [])
            meeting = Meeting(
                committee=committee,
                number=number,
                title=title,
                scheduled_by=by,
                scheduled_at=now,
            )
            apply_details(meeting, details, by, now)
            meeting.save()
            _write_agenda(meeting, lines)
            ensure_attendances(meeting, now)
            told = queue_meeting_notices(meeting, INVITATION, now=now)
            audit.record(
                "meeting.scheduled",
                actor=by,
                obj=meeting,
                data={
                    "meeting": meeting.pk,
                    "number": number,
                    "title": title,
                    "version": meeting.version,
                    "starts_at": meeting.starts_at.isoformat(),
                    "ends_at": meeting.ends_at.isoformat(),
                    "place": meeting.place,
                    "web_url": meeting.web_url,
                    "agenda": [line.text for line in lines],
                    "invited": [person.email for person in told],
                },
            )
    if refusal is not None:
        audit.record(
            "meeting.refused",
            actor=by,
            obj=committee,
            result="refused",
            data={"step": "schedule_session", "reason": refusal.code},
        )
        raise refusal
    return meeting


def set_agenda(
    meeting_id: int, *, by: User, agenda: list[AgendaLine], now: dt.datetime | None = None
) -> list[AgendaItem]:
    """Replace the session's agenda (議題1 …) with the lines in their order. Allowed to the
    secretariat until the session is cancelled; what was before is kept in the log."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = locked_session(meeting_id)
        refusal = _manage_refusal(meeting, by)
        if refusal is None:
            lines = _checked_agenda(meeting.committee, agenda)
            before = list(meeting.agenda_items.values_list("text", flat=True))
            meeting.agenda_items.all().delete()
            items = _write_agenda(meeting, lines)
            audit.record(
                "session.agenda.changed",
                actor=by,
                obj=meeting,
                data={
                    "meeting": meeting.pk,
                    "before": before,
                    "agenda": [item.text for item in items],
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, meeting, by, "agenda")
    return items


def _manage_refusal(meeting: Meeting, by: User) -> MeetingRefused | None:
    if not may_on_session_committee(by, SessionAction.MANAGE, meeting.committee):
        return _not_secretariat()
    if meeting.is_cancelled:
        return MeetingRefused(_("この会議は中止されています。"), "cancelled")
    return None


def _checked_agenda(committee: Committee, agenda: list[AgendaLine]) -> list[AgendaLine]:
    """The lines with their texts filled and trimmed, empty lines dropped; a link to a
    circulation or consultation of another council (or a draft) is refused."""
    wanted_circulations = {line.circulation_id for line in agenda if line.circulation_id}
    wanted_consultations = {line.consultation_id for line in agenda if line.consultation_id}
    circulations = dict(
        Circulation.objects.filter(pk__in=wanted_circulations, committee=committee)
        .exclude(state=Circulation.State.DRAFT)
        .values_list("pk", "title")
    )
    consultations = dict(
        Consultation.objects.filter(pk__in=wanted_consultations, committee=committee)
        .exclude(circulation__state=Circulation.State.DRAFT)
        .values_list("pk", "circulation__title")
    )
    lines = []
    for line in agenda:
        text = " ".join(line.text.split())
        if line.circulation_id and line.circulation_id not in circulations:
            raise MeetingInvalid(_("議題に結びつける書面照会が見つかりません。"), "agenda")
        if line.consultation_id and line.consultation_id not in consultations:
            raise MeetingInvalid(_("議題に結びつける諮問が見つかりません。"), "agenda")
        if line.circulation_id and line.consultation_id:
            raise MeetingInvalid(
                _("議題ひとつに結びつけられるのは、書面照会か諮問のどちらか一方です。"), "agenda"
            )
        text = text or circulations.get(line.circulation_id) or ""
        text = text or consultations.get(line.consultation_id) or ""
        if not text:
            continue
        if len(text) > AGENDA_TEXT_MAX_LENGTH:
            raise MeetingInvalid(
                _("議題は%(max)d文字以内で入力してください。") % {"max": AGENDA_TEXT_MAX_LENGTH},
                "agenda",
            )
        lines.append(AgendaLine(text, line.circulation_id, line.consultation_id))
    if len(lines) > AGENDA_MAX_ITEMS:
        raise MeetingInvalid(_("議題は%(max)d件までです。") % {"max": AGENDA_MAX_ITEMS}, "agenda")
    return lines


def _write_agenda(meeting: Meeting, lines: list[AgendaLine]) -> list[AgendaItem]:
    return AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                position=position,
                text=line.text,
                circulation_id=line.circulation_id,
                consultation_id=line.consultation_id,
            )
            for position, line in enumerate(lines, start=1)
        ]
    )


def add_session_material(
    meeting_id: int,
    *,
    by: User,
    upload: CheckedUpload,
    title: str,
    now: dt.datetime | None = None,
) -> SessionMaterial:
    """Add a file to the session's materials as the next 資料N. The file was checked by
    circulation/uploads (content by magic bytes, PDF and Office checks, virus scan)."""
    now = now or timezone.now()
    title = " ".join(title.split()) or upload.original_name
    if len(title) > TITLE_MAX_LENGTH:
        raise MeetingInvalid(
            _("資料の名称は%(max)d文字以内で入力してください。") % {"max": TITLE_MAX_LENGTH},
            "title",
        )
    with transaction.atomic():
        meeting = locked_session(meeting_id)
        refusal = _manage_refusal(meeting, by)
        if refusal is None:
            latest = meeting.materials.aggregate(latest=Max("position"))["latest"] or 0
            material = SessionMaterial(
                meeting=meeting, position=latest + 1, title=title, uploaded_by=by, uploaded_at=now
            )
            save_checked(material, upload)
            audit.record(
                "session.material.added",
                actor=by,
                obj=meeting,
                data={
                    "meeting": meeting.pk,
                    "position": material.position,
                    "title": material.title,
                    "name": material.original_name,
                    "size": material.size,
                    "sha256": material.sha256,
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, meeting, by, "material")
    return material


def record_material_download(material: SessionMaterial, *, user: User) -> None:
    """Opening a session material is logged like opening a circulation's material."""
    audit.record(
        "session.material.downloaded",
        actor=user,
        obj=material.meeting,
        data={"meeting": material.meeting_id, "position": material.position},
    )
