"""Attendance (出欠) at a session: each invitee who sits on the council answers 出席 / 欠席 /
ウェブ参加 (on the web or by the one-click links of the invitation), changeable until the
session starts; on the day the secretariat records who actually attended and the number
of observers (傍聴者).

Who answers: the invitees who sit on the council (the chair, the acting chair, members);
their rows are made when the session is scheduled or changed (`ensure_attendances`), so a
member appointed meanwhile is asked too. The secretariat is invited but does not answer.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from circulation.mail.meeting import invitees
from circulation.models import Attendance, Meeting
from circulation.templatetags.kairan import format_jst
from portal import audit
from portal.models import SITTING_ROLES, Membership, User
from portal.permissions_session import SessionAction, may_on_session
from portal.services.errors import Refused

OBSERVERS_MAX = 10000


class AttendanceRefused(Refused):
    """The answer or the record is not possible now; `code` says why (not_invited,
    not_secretariat, term_ended → 403; started, not_started, cancelled → 409)."""

    def __init__(self, message: str | Promise, code: str) -> None:
        super().__init__(message)
        self.code = code


def ensure_attendances(meeting: Meeting, now: dt.datetime) -> int:
    """Make the attendance rows of the invitees who sit on the council today and have none
    (a circulation's meeting: those of its recipients who sit, and the chairs). Two
    queries; returns the number of rows made."""
    day = timezone.localdate(now)
    sitting = Membership.objects.on(day).filter(
        committee_id=meeting.committee_id, role__in=SITTING_ROLES, user__is_active=True
    )
    if meeting.circulation_id:
        # The same rule as the notices: the recipients who sit, and the chairs.
        invited = {user.pk for user in invitees(meeting.circulation, now)}
        sitting = sitting.filter(user_id__in=invited)
    users = set(sitting.values_list("user_id", flat=True))
    made = Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, user_id=user_id) for user_id in sorted(users)],
        ignore_conflicts=True,
    )
    return len(made)


def answer_refusal(attendance: Attendance | None, now: dt.datetime) -> AttendanceRefused | None:
    """Why the invitee cannot answer now, or None."""
    if attendance is None:
        return AttendanceRefused(_("この会議の出欠を回答する対象ではありません。"), "not_invited")
    meeting = attendance.meeting
    if not may_on_session(attendance.user, SessionAction.ANSWER, meeting):
        # The term ended (or the seat changed to one that does not sit) since the invitation.
        return AttendanceRefused(
            _("任期が終了しているため、この会議の出欠は回答できません。"), "term_ended"
        )
    if meeting.is_cancelled:
        return AttendanceRefused(_("この会議は中止されています。"), "cancelled")
    if meeting.has_started(now):
        return AttendanceRefused(
            _("開始時刻(%(start)s)を過ぎたため、出欠は変更できません。事務局にご連絡ください。")
            % {"start": format_jst(meeting.starts_at)},
            "started",
        )
    return None


def answer_attendance(
    meeting_id: int,
    *,
    by: User,
    answer: str,
    channel: str = "web",
    now: dt.datetime | None = None,
) -> Attendance:
    """Record (or change) the person's own answer. `channel` is "web" or "link"."""
    now = now or timezone.now()
    if answer not in (Attendance.Answer.ATTEND, Attendance.Answer.ABSENT, Attendance.Answer.WEB):
        raise Refused(_("出席・欠席・ウェブ参加のいずれかを選んでください。"), field="answer")
    with transaction.atomic():
        attendance = (
            Attendance.objects.select_for_update(of=("self",))
            .select_related("meeting__committee", "user")
            .filter(meeting_id=meeting_id, user=by)
            .first()
        )
        refusal = answer_refusal(attendance, now)
        if refusal is None:
            before = attendance.answer
            attendance.answer = answer
            attendance.answered_at = now
            attendance.save(update_fields=["answer", "answered_at"])
            audit.record(
                "session.attendance.answered",
                actor=by,
                obj=attendance.meeting,
                data={
                    "meeting": meeting_id,
                    "answer": answer,
                    "before": before,
                    "channel": channel,
                },
            )
    if refusal is not None:
        audit.record(
            "session.refused",
            actor=by,
            obj=attendance.meeting if attendance else None,
            object_type="circulation.meeting",
            object_id=str(meeting_id),
            result="refused",
            data={"step": "answer", "reason": refusal.code, "channel": channel},
        )
        raise refusal
    return attendance


def record_attendance(
    meeting_id: int,
    *,
    by: User,
    attended: set[int],
    observers: int | None,
    now: dt.datetime | None = None,
) -> Meeting:
    """On the day (once the session has started): who actually attended (`attended`: user
    ids; every other invitee is recorded as not attending) and the number of observers.
    Recording again corrects the record."""
    now = now or timezone.now()
    if observers is not None and not 0 <= observers <= OBSERVERS_MAX:
        raise Refused(_("傍聴者数は0以上の数で入力してください。"), field="observers")
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(pk=meeting_id)
        )
        refusal = None
        if not may_on_session(by, SessionAction.MANAGE, meeting):
            refusal = AttendanceRefused(
                _("出席の記録ができるのは事務局だけです。"), "not_secretariat"
            )
        elif meeting.is_cancelled:
            refusal = AttendanceRefused(_("この会議は中止されています。"), "cancelled")
        elif not meeting.has_started(now):
            refusal = AttendanceRefused(
                _("出席の記録は、会議の開始時刻(%(start)s)から行えます。")
                % {"start": format_jst(meeting.starts_at)},
                "not_started",
            )
        if refusal is None:
            rows = Attendance.objects.filter(meeting=meeting)
            present = set(rows.filter(user_id__in=attended).values_list("user_id", flat=True))
            rows.filter(user_id__in=present).update(attended=True)
            rows.exclude(user_id__in=present).update(attended=False)
            again = meeting.attendance_recorded_at is not None
            meeting.observers = observers
            meeting.attendance_recorded_at = now
            meeting.save(update_fields=["observers", "attendance_recorded_at"])
            audit.record(
                "session.attendance.recorded",
                actor=by,
                obj=meeting,
                data={
                    "meeting": meeting.pk,
                    "attended": sorted(present),
                    "observers": observers,
                    "corrected": again,
                },
            )
    if refusal is not None:
        audit.record(
            "session.refused",
            actor=by,
            obj=meeting,
            result="refused",
            data={"step": "record_attendance", "reason": refusal.code},
        )
        raise refusal
    return meeting
