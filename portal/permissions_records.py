"""Who may do what on minutes written in Kairan (会議録) and on the public records (公開記録).

The rules of portal/permissions.py, extended:

- a draft of the minutes exists for the council's secretariat, its chair and acting chair,
  and the attendees asked to check it (委員確認); for anyone else it is a logged 404, as a
  draft circulation is;
- the secretariat writes, revises, sends for checking and asks to publish, correct or
  withdraw; the attendees asked answer while the check is open and they still sit; the
  person who decides for the council (the chair, or the acting chair when the chair is
  marked absent or the seat is empty: `acting_decider_role`) approves the minutes and
  confirms publication where the council's settings ask for it;
- a public record is a page for everybody, signed in or not, while it is published; an
  unpublished or withdrawn record, and a council without any published record, is a 404
  (logged for a person signed in, as every refusal; not for anonymous visitors, whose
  404s the log leaves out).

Steps of the secretariat are granted in any state so that the pages can say why a step is
not possible now; the services refuse by state.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.http import Http404

from portal.models import SITTING_ROLES, Committee, Role, User
from portal.permissions import acting_decider_role, refuse, roles_on

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from circulation.models import Minutes, Publication


class RecordAction(StrEnum):
    VIEW = "view_minutes"
    MANAGE = "manage_minutes"  # write, revise, send for checking, ask to publish/correct/withdraw
    CHECK = "check_minutes"  # an attendee's approval or comment (委員確認)
    APPROVE = "approve_minutes"  # the chair's approval; also confirming a publication step
    VIEW_PUBLIC = "view_public_record"


_CHECKER_MARK = "_kairan_minutes_checker"


def is_checker(user: User | AnonymousUser, minutes: Minutes) -> bool:
    """Whether the person was asked to check the minutes (kept on the instance)."""
    if not user.is_authenticated:
        return False
    known = getattr(minutes, _CHECKER_MARK, None)
    if known is not None and known[0] == user.pk:
        return known[1]
    answer = minutes.checkers.filter(user=user).exists()
    setattr(minutes, _CHECKER_MARK, (user.pk, answer))
    return answer


def decides_for(user: User | AnonymousUser, committee: Committee) -> bool:
    """The chair, or the acting chair when the chair is marked absent or no chair sits."""
    return acting_decider_role(committee) in roles_on(user, committee)


def may_see_minutes(user: User | AnonymousUser, minutes: Minutes) -> bool:
    roles = roles_on(user, minutes.committee)
    if roles & {Role.SECRETARIAT, Role.CHAIR, Role.ACTING_CHAIR}:
        return True
    return is_checker(user, minutes)


def may_on_minutes(user: User | AnonymousUser, action: RecordAction, minutes: Minutes) -> bool:
    if not may_see_minutes(user, minutes):
        return False
    roles = roles_on(user, minutes.committee)
    match action:
        case RecordAction.VIEW:
            return True
        case RecordAction.MANAGE:
            return Role.SECRETARIAT in roles
        case RecordAction.CHECK:
            return (
                minutes.state == minutes.State.CHECKING
                and bool(roles & set(SITTING_ROLES))
                and is_checker(user, minutes)
            )
        case RecordAction.APPROVE:
            return decides_for(user, minutes.committee)
    raise ValueError(f"{action} is not an action on minutes")


def minutes_or_404(user: User | AnonymousUser, minutes_id: int, action: RecordAction) -> Minutes:
    """The minutes, if the person may do the action: 404 if they may not see them at all
    (another council's, or a draft they were not asked to check), 403 if they may see them
    but not do this. Refusals are logged."""
    from circulation.models import Minutes  # the circulation app imports this module

    minutes = (
        Minutes.objects.filter(pk=minutes_id)
        .select_related("committee", "meeting", "circulation")
        .first()
    )
    if minutes is None:
        refuse(user, action, 404, object_type="circulation.minutes", object_id=minutes_id)
    if not may_see_minutes(user, minutes):
        refuse(user, action, 404, obj=minutes)
    if not may_on_minutes(user, action, minutes):
        refuse(user, action, 403, obj=minutes)
    return minutes


def publication_or_404(
    user: User | AnonymousUser, minutes_id: int, publication_id: int
) -> tuple[Minutes, Publication]:
    """A publication step of the minutes, to confirm: the minutes' gate (404 if not seen),
    then the step among the minutes' own (another's is a 404), then the chair's right (403)."""
    from circulation.models import Publication

    minutes = minutes_or_404(user, minutes_id, RecordAction.VIEW)
    publication = Publication.objects.filter(pk=publication_id, minutes=minutes).first()
    if publication is None:
        refuse(user, RecordAction.APPROVE, 404, object_type="circulation.publication",
               object_id=publication_id, committee=minutes.committee)  # fmt: skip
    if not may_on_minutes(user, RecordAction.APPROVE, minutes):
        refuse(user, RecordAction.APPROVE, 403, obj=minutes)
    return minutes, publication


def _not_public(user: User | AnonymousUser, object_type: str, object_id: object) -> Http404:
    if user.is_authenticated:
        refuse(user, RecordAction.VIEW_PUBLIC, 404, object_type=object_type, object_id=object_id)
    return Http404()


def public_committee_or_404(user: User | AnonymousUser, committee_id: int) -> Committee:
    """A council with at least one published record; anything else is not there."""
    from circulation.models import Minutes

    committee = Committee.objects.filter(
        pk=committee_id, minutes__state=Minutes.State.PUBLISHED
    ).first()
    if committee is None:
        raise _not_public(user, "portal.committee", committee_id)
    return committee


def public_record_or_404(user: User | AnonymousUser, committee_id: int, minutes_id: int) -> Minutes:
    """A published record of the council; unpublished, withdrawn or elsewhere: 404."""
    from circulation.models import Minutes

    minutes = (
        Minutes.objects.filter(
            pk=minutes_id, committee_id=committee_id, state=Minutes.State.PUBLISHED
        )
        .select_related("committee")
        .first()
    )
    if minutes is None:
        raise _not_public(user, "circulation.minutes", minutes_id)
    return minutes
