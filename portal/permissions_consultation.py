"""Who may do what on a consultation (諮問): the rules of portal/permissions.py, extended.

A consultation is a circulation of another kind, so its gate is the circulation's
(`circulation_or_404`: another council's, a draft, or one the person was not sent is a 404)
and the circulation's actions keep their meaning (replying is voting, deciding is the
chair's). What only a consultation has is decided here:

- the implementing body (実施機関) sees a consultation only if it is named for it (its
  staff): the circulation gate asks `is_body_staff`; staff of another consultation get 404;
- the staff never see votes or opinions: not the vote table, the chair's page or the
  decision record; they see the report once it is issued, and record the riders' responses;
- the vote table (who voted what) is for the secretariat, the chair and the acting chair;
- the secretariat registers, sends, records a meeting's result and issues the report; the
  chair (or the acting chair, as for every decision) confirms a written result; the
  secretariat or the decider edits the report before it is issued.

Actions of the secretariat are granted in any state (as the meeting's are) so that the
pages can say why a step is not possible now; the services refuse by state.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from circulation.models import Circulation, Consultation, Recipient
from portal.models import Committee, Role, User
from portal.permissions import (
    Action,
    acting_decider_role,
    circulation_or_404,
    is_recipient,
    may_on_circulation,
    may_see_circulation,
    refuse,
    roles_on,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class ConsultationAction(StrEnum):
    VIEW = "view_consultation"
    VOTE = "vote"  # the circulation's REPLY: a recipient who sits, while open
    ADD_MATERIAL = "add_consultation_material"  # the secretariat and the staff
    VIEW_VOTES = "view_votes"  # who voted what: the secretariat, the chair, the acting chair
    CONFIRM_RESULT = "confirm_result"  # the circulation's DECIDE
    # Deliberate at a meeting instead (the circulation's decision to convene): the person
    # who decides, in any state (the decision service says why not now).
    CONVENE = "convene_instead"
    EXTEND_VOTING = "extend_voting"  # closed without a result: the secretariat, the decider
    MANAGE = "manage_consultation"  # edit the draft, send, record a vote for a member
    RECORD_MEETING = "record_meeting_result"  # the secretariat
    EDIT_REPORT = "edit_report"  # the secretariat, the decider
    ISSUE_REPORT = "issue_report"  # the secretariat
    VIEW_REPORT = "view_report"  # drafts: secretariat and chairs; issued: also recipients, staff
    VIEW_RECORD = "view_consultation_record"  # tally, votes, riders, Q&A: never the staff
    RESPOND_RIDER = "respond_rider"  # the staff and the secretariat, once issued


_CHAIRS = {Role.CHAIR, Role.ACTING_CHAIR}
_STAFF_MARK = "_kairan_body_staff"  # (user id, bool) kept on the circulation instance
_ISSUED_MARK = "_kairan_report_issued"


def is_body_staff(user: User | AnonymousUser, circulation: Circulation) -> bool:
    """Whether the person is named as the implementing body's staff of this consultation
    (kept on the instance: a page asks several times)."""
    if not user.is_authenticated or not circulation.is_consultation:
        return False
    known = getattr(circulation, _STAFF_MARK, None)
    if known is not None and known[0] == user.pk:
        return known[1]

    staff = Consultation.staff.through.objects.filter(
        consultation_id=circulation.pk, user_id=user.pk
    ).exists()
    setattr(circulation, _STAFF_MARK, (user.pk, staff))
    return staff


def body_sees(user: User | AnonymousUser, circulation: Circulation) -> bool:
    """Asked by `may_see_circulation` of a person holding the implementing-body role: the
    council's circulations, and of its consultations only those the person is named for."""
    return not circulation.is_consultation or is_body_staff(user, circulation)


def _issued(circulation: Circulation) -> bool:
    """Whether the report (答申) has been issued (kept on the instance, as above)."""
    known = getattr(circulation, _ISSUED_MARK, None)
    if known is None:
        known = Consultation.objects.filter(pk=circulation.pk, issued_at__isnull=False).exists()
        setattr(circulation, _ISSUED_MARK, known)
    return known


def may_on_consultation(
    user: User | AnonymousUser, action: ConsultationAction, circulation: Circulation
) -> bool:
    if not circulation.is_consultation or not may_see_circulation(user, circulation):
        return False
    roles = roles_on(user, circulation.committee)
    secretariat = Role.SECRETARIAT in roles
    chairs = bool(roles & _CHAIRS)
    S = circulation.State
    state = circulation.state
    match action:
        case ConsultationAction.VIEW:
            return True
        case ConsultationAction.VOTE:
            return may_on_circulation(user, Action.REPLY, circulation)
        case ConsultationAction.ADD_MATERIAL:
            return secretariat or is_body_staff(user, circulation)
        case ConsultationAction.VIEW_VOTES:
            return secretariat or (chairs and state != S.DRAFT)
        case ConsultationAction.CONFIRM_RESULT:
            return may_on_circulation(user, Action.DECIDE, circulation)
        case ConsultationAction.CONVENE:
            return acting_decider_role(circulation.committee) in roles
        case ConsultationAction.EXTEND_VOTING:
            return secretariat or acting_decider_role(circulation.committee) in roles
        case (
            ConsultationAction.MANAGE
            | ConsultationAction.RECORD_MEETING
            | ConsultationAction.ISSUE_REPORT
        ):
            return secretariat
        case ConsultationAction.EDIT_REPORT:
            return secretariat or acting_decider_role(circulation.committee) in roles
        case ConsultationAction.VIEW_REPORT:
            if secretariat or chairs:
                return True
            return (is_recipient(user, circulation) or is_body_staff(user, circulation)) and (
                _issued(circulation)
            )
        case ConsultationAction.VIEW_RECORD:
            decided = state in (S.DECIDED, S.ARCHIVED)
            return secretariat or (decided and (chairs or is_recipient(user, circulation)))
        case ConsultationAction.RESPOND_RIDER:
            return (secretariat or is_body_staff(user, circulation)) and _issued(circulation)
    raise ValueError(f"{action} is not a consultation action")


def consultation_or_404(
    user: User | AnonymousUser, circulation_id: int, action: ConsultationAction
) -> Circulation:
    """The consultation's circulation, through the circulation's gate (404 for what the
    person may not see at all), then 404 if it is not a consultation and 403 if the person
    may see it but not do the action. Refusals are logged."""
    circulation = circulation_or_404(user, circulation_id, Action.VIEW_CIRCULATION)
    if not circulation.is_consultation:
        refuse(user, action, 404, obj=circulation)
    if not may_on_consultation(user, action, circulation):
        refuse(user, action, 403, obj=circulation)
    return circulation


def consultations_visible_to(
    user: User | AnonymousUser, committee: Committee
) -> QuerySet[Circulation]:
    """The committee's consultations the person may see, by the rules of
    `may_see_circulation` written as a query (for lists)."""

    consultations = Circulation.objects.filter(
        committee=committee, kind=Circulation.Kind.CONSULTATION
    )
    roles = roles_on(user, committee)
    if Role.SECRETARIAT in roles:
        return consultations
    S = Circulation.State
    sent = consultations.exclude(state__in=(S.DRAFT, S.DISCARDED))
    if not roles:
        return sent.none()
    seen = Q(Exists(Recipient.objects.filter(circulation=OuterRef("pk"), user=user)))
    if Role.IMPLEMENTING_BODY in roles:
        staff = Consultation.staff.through.objects.filter(
            consultation_id=OuterRef("pk"), user_id=user.pk
        )
        seen |= Q(Exists(staff))
    if acting_decider_role(committee) in roles:
        seen |= Q(state__in=(S.CLOSED, S.DECIDED, S.ARCHIVED))
    return sent.filter(seen)
