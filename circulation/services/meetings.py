"""The meeting (会議) after a decision to convene: scheduling, changing and cancelling it.

Only the secretariat does these, only for a circulation decided 開催する. Each one changes
the meeting, writes its audit entry and queues a notice to every invitee
(circulation/mail/meeting.py) in one transaction. Every notice is keyed on the meeting's
version, which each of these bumps, so a change sends one new notice per person and a
repeated call none.

Refusals come in two kinds: `MeetingInvalid` (what was typed: the form shows it next to
the field and keeps the input) and `MeetingRefused` (the step is not possible now: not the
secretariat, not decided to convene, already started…; logged as `meeting.refused`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from circulation.mail.meeting import CANCELLED, CHANGED, INVITATION, queue_meeting_notices
from circulation.models import Circulation, Decision, Meeting
from circulation.models.meeting import MeetingDetails
from circulation.services.attendance import ensure_attendances
from circulation.templatetags.kairan import format_jst
from portal import audit
from portal.models import Committee, User
from portal.permissions import Action, may_on_circulation
from portal.permissions_session import SessionAction, may_on_session
from portal.services.errors import Refused

JAPAN = ZoneInfo("Asia/Tokyo")
PLACE_MAX_LENGTH = 200
URL_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 4000
REASON_MAX_LENGTH = 2000
# 前日の案内 goes out from this hour (Japan time) on the day before the meeting: early enough
# to be read that day, late enough not to arrive in the night.
REMINDER_HOUR = 9
# Invitees who have not answered whether they attend are reminded this many days before.
ATTENDANCE_REMINDER_DAYS = 3


class MeetingInvalid(Refused):
    """What was typed cannot be used; `field` names the form field it belongs to."""


class MeetingRefused(Refused):
    """The step is not possible now; `code` says why (and lets a page choose its status:
    not_secretariat → 403, the others → 409)."""

    def __init__(self, message: str | Promise, code: str) -> None:
        super().__init__(message)
        self.code = code


_URL = URLValidator(schemes=["http", "https"])


def check_details(details: MeetingDetails, now: dt.datetime) -> MeetingDetails:
    """The details with surrounding spaces removed, or MeetingInvalid naming the field.
    The form calls this too, so both apply one set of rules."""
    if timezone.is_naive(details.starts_at) or timezone.is_naive(details.ends_at):
        raise ValueError("meeting times must be aware")
    details = replace(
        details,
        place=" ".join(details.place.split()),
        web_url=details.web_url.strip(),
        note=details.note.strip(),
    )
    if details.starts_at <= now:
        raise MeetingInvalid(_("会議の日時は現在より後にしてください。"), "date")
    if details.ends_at <= details.starts_at:
        raise MeetingInvalid(_("終了時刻は開始時刻より後にしてください。"), "end_time")
    if not details.place and not details.web_url:
        raise MeetingInvalid(
            _("会場かウェブ会議のURLの、少なくとも一方を入力してください。"), "place"
        )
    if len(details.place) > PLACE_MAX_LENGTH:
        raise MeetingInvalid(
            _("会場は%(max)d文字以内で入力してください。") % {"max": PLACE_MAX_LENGTH}, "place"
        )
    if details.web_url:
        try:
            _URL(details.web_url)
        except ValidationError:
            raise MeetingInvalid(
                _("ウェブ会議のURLは https:// または http:// で始まるアドレスを入力してください。"),
                "web_url",
            ) from None
        if len(details.web_url) > URL_MAX_LENGTH:
            raise MeetingInvalid(
                _("ウェブ会議のURLは%(max)d文字以内で入力してください。") % {"max": URL_MAX_LENGTH},
                "web_url",
            )
    if len(details.note) > NOTE_MAX_LENGTH:
        raise MeetingInvalid(
            _("案内は%(max)d文字以内で入力してください。") % {"max": NOTE_MAX_LENGTH}, "note"
        )
    return details


def attendance_reminder_moment(starts_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """出欠の督促: 09:00 Japan time ATTENDANCE_REMINDER_DAYS before the session's date, in
    UTC; None when that moment has already passed (the notice itself is the reminder)."""
    day = starts_at.astimezone(JAPAN).date() - dt.timedelta(days=ATTENDANCE_REMINDER_DAYS)
    moment = dt.datetime.combine(day, dt.time(REMINDER_HOUR), tzinfo=JAPAN).astimezone(dt.UTC)
    return moment if moment > now else None


def reminder_moment(starts_at: dt.datetime) -> dt.datetime:
    """09:00 Japan time on the day before the meeting's (Japan) date, in UTC."""
    day = starts_at.astimezone(JAPAN).date() - dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(REMINDER_HOUR), tzinfo=JAPAN).astimezone(dt.UTC)


# --- Scheduling -----------------------------------------------------------------------------


def schedule_refusal(circulation: Circulation, by: User) -> MeetingRefused | None:
    """Why `by` cannot schedule a meeting for the circulation now, or None. The schedule
    page asks this before showing its form."""
    if not may_on_circulation(by, Action.MANAGE_MEETING, circulation):
        return MeetingRefused(_("会議を設定できるのは事務局だけです。"), "not_secretariat")
    S = Circulation.State
    if circulation.state == S.ARCHIVED:
        return MeetingRefused(_("完了した書面照会には会議を設定できません。"), "archived")
    if circulation.state != S.DECIDED:
        return MeetingRefused(
            _("会議は、会長が開催の要否で「開催する」と決定した後に設定できます。"),
            "not_decided",
        )
    convene = Decision.objects.filter(circulation=circulation).values_list("convene", flat=True)
    if not convene.first():
        return MeetingRefused(
            _("この書面照会は「開催しない」と決定されたため、会議は設定できません。"),
            "not_convened",
        )
    meeting = Meeting.objects.filter(circulation=circulation).first()
    if meeting is not None and not meeting.is_cancelled:
        return MeetingRefused(
            _("この書面照会の会議はすでに設定されています。変更は「会議を変更する」から行えます。"),
            "already_scheduled",
        )
    return None


def schedule_meeting(
    circulation_id: int, *, by: User, details: MeetingDetails, now: dt.datetime | None = None
) -> Meeting:
    """Schedule the meeting of a circulation decided 開催する and invite every recipient
    who still sits on the committee, the chair, the acting chair and the secretariat. A
    meeting that was cancelled is scheduled again in its own row (one per circulation)."""
    now = now or timezone.now()
    details = check_details(details, now)
    with transaction.atomic():
        # The lock makes two secretariat members scheduling at once take turns: the second
        # finds the first one's meeting and is refused.
        circulation = (
            Circulation.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(pk=circulation_id)
        )
        refusal = schedule_refusal(circulation, by)
        if refusal is None:
            meeting = _schedule(circulation, details, by, now)
    if refusal is not None:
        raise log_refusal(refusal, circulation, by, "schedule")
    return meeting


def _schedule(
    circulation: Circulation, details: MeetingDetails, by: User, now: dt.datetime
) -> Meeting:
    meeting = Meeting.objects.filter(circulation=circulation).first()
    again = meeting is not None
    if meeting is None:
        meeting = Meeting(
            circulation=circulation,
            committee=circulation.committee,
            scheduled_by=by,
            scheduled_at=now,
        )
    else:
        meeting.version += 1
        meeting.state = Meeting.State.SCHEDULED
        meeting.cancel_reason = ""
    apply_details(meeting, details, by, now)
    meeting.save()
    ensure_attendances(meeting, now)
    told = queue_meeting_notices(meeting, INVITATION, now=now)
    audit.record(
        "meeting.scheduled",
        actor=by,
        obj=circulation,
        data={
            **_describe(meeting),
            "scheduled_again": again,
            "invited": [person.email for person in told],
        },
    )
    return meeting


def apply_details(meeting: Meeting, details: MeetingDetails, by: User, now: dt.datetime) -> None:
    for field in fields(MeetingDetails):
        setattr(meeting, field.name, getattr(details, field.name))
    meeting.version_at = now
    meeting.reminder_at = reminder_moment(details.starts_at)
    meeting.attendance_reminder_at = attendance_reminder_moment(details.starts_at, now)
    meeting.updated_by = by


def _describe(meeting: Meeting) -> dict[str, object]:
    """The meeting as its audit entries record it."""
    return {
        "meeting": meeting.pk,
        "version": meeting.version,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "web_url": meeting.web_url,
    }


# --- Changing and cancelling ----------------------------------------------------------------


def change_refusal(
    meeting: Meeting, by: User, now: dt.datetime, *, verb: str = "change"
) -> MeetingRefused | None:
    """Why the meeting cannot be changed (or cancelled) by `by` now, or None."""
    if not may_manage(by, meeting):
        return MeetingRefused(_("会議を変更・中止できるのは事務局だけです。"), "not_secretariat")
    if meeting.is_cancelled:
        return MeetingRefused(_("この会議は中止されています。"), "cancelled")
    if meeting.has_started(now):
        message = (
            _("開始時刻(%(start)s)を過ぎた会議は中止できません。")
            if verb == "cancel"
            else _("開始時刻(%(start)s)を過ぎた会議は変更できません。")
        )
        return MeetingRefused(message % {"start": format_jst(meeting.starts_at)}, "started")
    return None


def may_manage(by: User, meeting: Meeting) -> bool:
    """The secretariat of the meeting's council (a circulation's meeting: its gate's rule)."""
    if meeting.circulation_id:
        return may_on_circulation(by, Action.MANAGE_MEETING, meeting.circulation)
    return may_on_session(by, SessionAction.MANAGE, meeting)


def change_meeting(
    circulation_id: int | None,
    *,
    meeting_id: int | None = None,
    by: User,
    details: MeetingDetails,
    base_version: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Meeting:
    """Change when or where the meeting is held (or its note). Every invitee gets a notice
    of change with what was and what is; the 前日の案内 follows the new time."""
    now = now or timezone.now()
    details = check_details(details, now)
    reason = reason.strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise MeetingInvalid(_reason_too_long(), "reason")
    with transaction.atomic():
        meeting = _locked(circulation_id, meeting_id)
        refusal = change_refusal(meeting, by, now) or _conflict(meeting, base_version)
        if refusal is None:
            before = MeetingDetails.of(meeting)
            if details == before:
                raise MeetingInvalid(_("変更された項目がありません。"), None)
            meeting.version += 1
            apply_details(meeting, details, by, now)
            meeting.save()
            ensure_attendances(meeting, now)
            told = queue_meeting_notices(meeting, CHANGED, now=now, previous=before, reason=reason)
            changed = [
                f.name
                for f in fields(MeetingDetails)
                if getattr(before, f.name) != getattr(details, f.name)
            ]
            audit.record(
                "meeting.changed",
                actor=by,
                obj=meeting.circulation or meeting,
                data={
                    **_describe(meeting),
                    "changed": changed,
                    "before": {
                        "starts_at": before.starts_at.isoformat(),
                        "ends_at": before.ends_at.isoformat(),
                        "place": before.place,
                        "web_url": before.web_url,
                    },
                    "reason": reason,
                    "told": [person.email for person in told],
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, meeting.circulation or meeting, by, "change")
    return meeting


def cancel_meeting(
    circulation_id: int | None,
    *,
    meeting_id: int | None = None,
    by: User,
    reason: str,
    base_version: int,
    now: dt.datetime | None = None,
) -> Meeting:
    """Cancel the meeting (中止) with a reason; every invitee gets a cancellation notice and
    no 前日の案内. The circulation stays decided: the secretariat may schedule the meeting
    again, or archive the circulation."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise MeetingInvalid(_("中止の理由を入力してください。"), "reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise MeetingInvalid(_reason_too_long(), "reason")
    with transaction.atomic():
        meeting = _locked(circulation_id, meeting_id)
        refusal = change_refusal(meeting, by, now, verb="cancel") or _conflict(
            meeting, base_version
        )
        if refusal is None:
            meeting.version += 1
            meeting.state = Meeting.State.CANCELLED
            meeting.cancel_reason = reason
            meeting.version_at = now
            meeting.updated_by = by
            meeting.save()
            told = queue_meeting_notices(meeting, CANCELLED, now=now, reason=reason)
            audit.record(
                "meeting.cancelled",
                actor=by,
                obj=meeting.circulation or meeting,
                data={
                    **_describe(meeting),
                    "reason": reason,
                    "told": [person.email for person in told],
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, meeting.circulation or meeting, by, "cancel")
    return meeting


def _locked(circulation_id: int | None, meeting_id: int | None) -> Meeting:
    return locked_meeting(circulation_id) if circulation_id else locked_session(meeting_id)


def locked_session(meeting_id: int | None) -> Meeting:
    """A session reached by its own id, locked as `locked_meeting` locks."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    meeting.committee = Committee.objects.get(pk=meeting.committee_id)
    if meeting.circulation_id:
        meeting.circulation = Circulation.objects.select_related("committee").get(
            pk=meeting.circulation_id
        )
    return meeting


def locked_meeting(circulation_id: int) -> Meeting:
    """The meeting, locked until the end of the transaction: changes (and the minutes'
    upload and publication) take turns."""
    meeting = Meeting.objects.select_for_update().get(circulation_id=circulation_id)
    meeting.circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
    return meeting


def _conflict(meeting: Meeting, base_version: int) -> MeetingRefused | None:
    """The page was opened on an older version: someone changed the meeting meanwhile."""
    if base_version == meeting.version:
        return None
    return MeetingRefused(
        _(
            "この画面を開いた後に、会議は別の人によって変更されています。"
            "現在の内容を確認してから、もう一度操作してください。"
        ),
        "conflict",
    )


def _reason_too_long() -> str:
    return _("理由は%(max)d文字以内で入力してください。") % {"max": REASON_MAX_LENGTH}


def log_refusal(
    refusal: MeetingRefused, circulation: Circulation | Meeting, by: User, step: str
) -> MeetingRefused:
    """Write the refusal to the audit log as `meeting.refused` and return it to be raised
    (about the circulation, or the session when it has none). Called after the
    transaction block, so the entry is kept."""
    audit.record(
        "meeting.refused",
        actor=by,
        obj=circulation,
        result="refused",
        data={"step": step, "reason": refusal.code, "state": circulation.state},
    )
    return refusal
