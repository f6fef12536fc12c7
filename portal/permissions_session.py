"""Who may do what on a session (会議, the `Meeting` row): the rules of portal/permissions.py,
extended for sessions reached by their own id (the session page, its agenda, materials,
attendance and elections).

- the secretariat schedules and manages its council's sessions (agenda, materials, the
  attendance on the day, the observers, elections, cancelling);
- those who sit on the council (the chair, the acting chair, members) see its sessions and
  answer their own attendance; the implementing body's staff are on the council but not
  invited: 403;
- anyone not on the council (another council's secretariat included) gets 404: nobody
  learns which sessions exist elsewhere.

As for meetings, the secretariat's actions are granted in any state; the services refuse
by state (started, cancelled) and say why.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from portal.models import SITTING_ROLES, Committee, Role, User
from portal.ops.logs import note_committee
from portal.permissions import refuse, roles_on

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from circulation.models import Meeting


class SessionAction(StrEnum):
    VIEW = "view_session"
    ANSWER = "answer_attendance"  # one's own answer: those who sit
    MANAGE = "manage_session"  # the secretariat


def may_on_session_committee(
    user: User | AnonymousUser, action: SessionAction, committee: Committee
) -> bool:
    roles = roles_on(user, committee)
    secretariat = Role.SECRETARIAT in roles
    sits = bool(roles & set(SITTING_ROLES))
    match action:
        case SessionAction.VIEW:
            return secretariat or sits
        case SessionAction.ANSWER:
            return sits
        case SessionAction.MANAGE:
            return secretariat
    raise ValueError(f"{action} is not a session action")


def may_on_session(user: User | AnonymousUser, action: SessionAction, meeting: Meeting) -> bool:
    return may_on_session_committee(user, action, meeting.committee)


def session_or_404(user: User | AnonymousUser, meeting_id: int, action: SessionAction) -> Meeting:
    """The session with its committee (and circulation), if the person may do the action;
    404 for a person not on its council (or no such session), 403 for one on it who may
    not. Refusals are logged."""
    from circulation.models import Meeting  # the circulation app imports this module

    meeting = (
        Meeting.objects.select_related("committee", "circulation").filter(pk=meeting_id).first()
    )
    if meeting is None:
        refuse(user, action, 404, object_type="circulation.meeting", object_id=meeting_id)
    if not roles_on(user, meeting.committee):
        refuse(user, action, 404, obj=meeting)
    if not may_on_session(user, action, meeting):
        refuse(user, action, 403, obj=meeting)
    note_committee(meeting.committee_id)
    return meeting


def session_committee_or_404(
    user: User | AnonymousUser, committee_id: int, action: SessionAction
) -> Committee:
    """The council whose sessions are listed or scheduled, by the same rule."""
    committee = Committee.objects.filter(pk=committee_id).first()
    if committee is None:
        refuse(user, action, 404, object_type="portal.committee", object_id=committee_id)
    if not roles_on(user, committee):
        refuse(user, action, 404, obj=committee)
    if not may_on_session_committee(user, action, committee):
        refuse(user, action, 403, obj=committee)
    note_committee(committee.pk)
    return committee
