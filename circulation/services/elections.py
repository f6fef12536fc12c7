"""Elections at a session (会長・職務代理者の選任), e.g. at a new term's first session.

Recording one changes the roles through portal/services/membership.py (`change_role`,
audited there as `committee.member.role_changed`) from the session's day: the one who held
the seat becomes a member (委員), the one elected takes it. So there is one chair and one
acting chair at a time, and who held which role on which day stays true.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.models import Election, Meeting
from circulation.services.meetings import (
    MeetingInvalid,
    MeetingRefused,
    locked_session,
    log_refusal,
)
from portal import audit
from portal.models import SINGLE_SEAT_ROLES, SITTING_ROLES, Membership, Role, User
from portal.permissions_session import SessionAction, may_on_session
from portal.services.membership import change_role


def election_refusal(meeting: Meeting, by: User, now: dt.datetime) -> MeetingRefused | None:
    if not may_on_session(by, SessionAction.MANAGE, meeting):
        return MeetingRefused(_("選任を記録できるのは事務局だけです。"), "not_secretariat")
    if meeting.is_cancelled:
        return MeetingRefused(_("この会議は中止されています。"), "cancelled")
    if not meeting.has_started(now):
        return MeetingRefused(_("選任は、会議が始まってから記録できます。"), "not_started")
    return None


def record_election(
    meeting_id: int,
    *,
    by: User,
    role: str,
    elected_id: int,
    now: dt.datetime | None = None,
) -> Election:
    """Record that the session elected `elected_id` as chair or acting chair, and change
    the roles from the session's day (Japan time)."""
    now = now or timezone.now()
    if role not in SINGLE_SEAT_ROLES:
        raise MeetingInvalid(_("選任する役職を選んでください。"), "role")
    with transaction.atomic():
        meeting = locked_session(meeting_id)
        refusal = election_refusal(meeting, by, now)
        if refusal is None:
            day = timezone.localdate(meeting.starts_at)
            seats = Membership.objects.on(day).filter(committee_id=meeting.committee_id)
            seat = seats.filter(user_id=elected_id, role__in=SITTING_ROLES).first()
            if seat is None:
                raise MeetingInvalid(
                    _("選任できるのは、会議の日にこの審議会の委員である人だけです。"), "elected"
                )
            if seat.role == role:
                raise MeetingInvalid(
                    _("%(name)sさんはすでに%(role)sです。")
                    % {"name": seat.user.full_name, "role": Role(role).label},
                    "elected",
                )
            holder = seats.filter(role=role).exclude(user_id=elected_id).first()
            if holder is not None:
                change_role(holder, Role.MEMBER, by, effective=day)
            change_role(seat, role, by, effective=day)
            election = Election.objects.create(
                meeting=meeting, role=role, elected_id=elected_id, recorded_by=by, recorded_at=now
            )
            audit.record(
                "session.election.recorded",
                actor=by,
                obj=meeting,
                data={
                    "meeting": meeting.pk,
                    "role": role,
                    "elected": seat.user.email,
                    "previous": holder.user.email if holder else None,
                    "effective": day.isoformat(),
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, meeting, by, "election")
    return election
