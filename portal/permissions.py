"""Who may do what: the one place that decides every access.

Every view asks here. A committee (or an object of a committee) that the person may not
see at all answers 404, so that nobody learns what exists elsewhere; a person who may see
the object but not do the action gets 403 (e.g. a member opening the tracking page).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, NoReturn

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, FilteredRelation, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from circulation.models import Circulation, Decision, Meeting, Recipient
from portal import audit, request_memo
from portal.models import SITTING_ROLES, AuditEntry, Committee, Membership, Role, User
from portal.ops.logs import note_committee

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class Action(StrEnum):
    # committee level
    VIEW_COMMITTEE = "view_committee"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_CIRCULATIONS = "manage_circulations"  # create, edit, send, extend, discard
    VIEW_AUDIT_LOG = "view_audit_log"
    REVIEW_AUDIT_LOG = "review_audit_log"  # record a ログ確認
    MANAGE_RETENTION = "manage_retention"  # 保存期間, 移管 and 廃棄
    # circulation level
    VIEW_CIRCULATION = "view_circulation"
    DOWNLOAD_MATERIAL = "download_material"
    REPLY = "reply"
    ASK_QUESTION = "ask_question"
    ANSWER_QUESTION = "answer_question"
    TRACK_CIRCULATION = "track_circulation"  # every reply, who opened what
    DECIDE = "decide"
    # The decision page (tally, every named opinion): the decider, and the secretariat
    # read-only; members are sent to the decision record once it exists.
    VIEW_DECISION_PAGE = "view_decision_page"
    VIEW_DECISION_RECORD = "view_decision_record"
    # The meeting (会議) of a circulation decided 開催する: its page, its calendar file and
    # its published minutes, for the people it concerns (the secretariat, the recipients,
    # the chair and the acting chair; not the implementing body).
    VIEW_MEETING = "view_meeting"
    # Schedule, change or cancel the meeting, upload and publish its minutes: the
    # secretariat. Granted in any state so that the pages can say why a step is not
    # possible yet (the services refuse with a message).
    MANAGE_MEETING = "manage_meeting"
    # site level: the operators' status page and its metrics (the mail queue, held mail,
    # beat, the workers): site staff (User.is_staff) only, whatever their councils.
    VIEW_SITE_STATUS = "view_site_status"


def memberships_of(user: User | AnonymousUser, day: dt.date | None = None) -> list[Membership]:
    """All of the person's memberships on the day (default: today in Japan), with their
    committees, in the committees' order: one query, kept for the request."""
    if not user.is_authenticated:
        return []
    return _memberships_on(user, day or timezone.localdate())


def _memberships_on(user: User, day: dt.date) -> list[Membership]:
    memo = request_memo.current()
    key = (user.pk, day)
    if memo is not None and key in memo.memberships:
        return memo.memberships[key]
    memberships = list(
        Membership.objects.on(day)
        .filter(user=user)
        .select_related("committee")
        .order_by("committee__name", "committee_id", "id")
    )
    if memo is not None:
        memo.memberships[key] = memberships
    return memberships


def roles_on(
    user: User | AnonymousUser, committee: Committee, day: dt.date | None = None
) -> set[str]:
    """The roles a person holds on the committee on the day (default: today in Japan)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    day = day or timezone.localdate()
    return {m.role for m in _memberships_on(user, day) if m.committee_id == committee.pk}


def committees_of(user: User | AnonymousUser) -> list[Committee]:
    """Committees where the person holds any role today, for navigation."""
    if not user.is_authenticated:
        return []
    committees: dict[int, Committee] = {}
    for membership in _memberships_on(user, timezone.localdate()):
        committees.setdefault(membership.committee_id, membership.committee)
    return list(committees.values())


def is_secretariat_anywhere(user: User) -> bool:
    return any(m.role == Role.SECRETARIAT for m in _memberships_on(user, timezone.localdate()))


def needs_mfa_setup(user: User) -> bool:
    """A secretariat user without TOTP must set it up before doing anything else."""
    if not is_secretariat_anywhere(user):
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def acting_decider_role(committee: Committee, day: dt.date | None = None) -> str:
    """Who decides today: the chair, or the acting chair when the chair is marked absent
    or the chair's seat is empty."""
    day = day or timezone.localdate()
    if committee.chair_absent:
        return Role.ACTING_CHAIR
    return Role.CHAIR if _chair_sitting(committee, day) else Role.ACTING_CHAIR


def decider_of(committee: Committee, day: dt.date | None = None) -> tuple[str, Membership | None]:
    """Who decides (as acting_decider_role) and that person's membership."""
    return deciding_seat(committee, _decider_seats(committee, day or timezone.localdate()))


def deciding_seat(committee: Committee, seats: list[Membership]) -> tuple[str, Membership | None]:
    """acting_decider_role's rule on seats the caller has read (the committee's seats on the
    day, of any roles): the deciding role and the seat that holds it, if any."""
    chair_sitting = any(m.role == Role.CHAIR for m in seats)
    role = Role.CHAIR if chair_sitting and not committee.chair_absent else Role.ACTING_CHAIR
    return role, next((m for m in seats if m.role == role), None)


def closing_summary_links(
    seats: list[Membership], decider_role: str, recipient_user_ids: set[int]
) -> dict[int, str]:
    """Where each holder of `seats` (the chair's, the acting chair's and the secretariat's
    on the day of closing) is linked by the summary of a circulation that has just closed:
    "decision" (the decision page), "circulation" (its page) or "" (neither would open).
    These are may_on_circulation(VIEW_DECISION_PAGE) and may_see_circulation for a closed
    circulation, answered on roles read once for everyone (beat closes thousands at once;
    tests/jobs compare both for every persona)."""
    roles: dict[int, set[str]] = {}
    for seat in seats:
        roles.setdefault(seat.user_id, set()).add(seat.role)
    links = {}
    for user_id, held in roles.items():
        if Role.SECRETARIAT in held or decider_role in held:
            links[user_id] = "decision"
        elif user_id in recipient_user_ids:
            links[user_id] = "circulation"
        else:
            links[user_id] = ""
    return links


def _chair_sitting(committee: Committee, day: dt.date) -> bool:
    return any(m.role == Role.CHAIR for m in _decider_seats(committee, day))


def _decider_seats(committee: Committee, day: dt.date) -> list[Membership]:
    """The chair's and the acting chair's memberships on the day, with their people, in
    Membership's order (as `.first()` would pick): one query, kept for the request."""
    memo = request_memo.current()
    key = (committee.pk, day)
    if memo is not None and key in memo.deciders:
        return memo.deciders[key]
    seats = list(
        Membership.objects.on(day)
        .filter(committee=committee, role__in=(Role.CHAIR, Role.ACTING_CHAIR))
        .select_related("user")
    )
    if memo is not None:
        memo.deciders[key] = seats
    return seats


_COMMITTEE_ACTIONS: dict[Action, set[str]] = {
    Action.VIEW_COMMITTEE: {r.value for r in Role},
    Action.MANAGE_MEMBERS: {Role.SECRETARIAT},
    Action.MANAGE_CIRCULATIONS: {Role.SECRETARIAT},
    Action.VIEW_AUDIT_LOG: {Role.SECRETARIAT},
    Action.REVIEW_AUDIT_LOG: {Role.SECRETARIAT},
    Action.MANAGE_RETENTION: {Role.SECRETARIAT},
}


def may_on_committee(user: User | AnonymousUser, action: Action, committee: Committee) -> bool:
    allowed = _COMMITTEE_ACTIONS.get(action)
    if allowed is None:
        raise ValueError(f"{action} is not a committee-level action")
    return bool(roles_on(user, committee) & allowed)


def is_recipient(user: User | AnonymousUser, circulation: Circulation) -> bool:
    if not user.is_authenticated or circulation.state == circulation.State.DRAFT:
        return False
    known = getattr(circulation, _RECIPIENT_ID, None)
    if known is not None and known[0] == user.pk:
        return known[1] is not None
    return circulation.recipients.filter(user=user).exists()


# circulation_or_404 reads, with the circulation, the person's Recipient row (or None) with
# its current reply, and keeps it on the instance as (user id, recipient id, recipient):
# recipients are frozen when a circulation is sent, and drafts never count as received.
_RECIPIENT_ID = "_kairan_recipient_id"


def recipient_id_of(user: User | AnonymousUser, circulation: Circulation) -> int | None:
    """The id of the person's Recipient row of the circulation, or None (not received)."""
    if not user.is_authenticated:
        return None
    known = getattr(circulation, _RECIPIENT_ID, None)
    if known is not None and known[0] == user.pk:
        return known[1]
    return (
        circulation.recipients.filter(user=user).order_by("pk").values_list("pk", flat=True).first()
    )


def remember_receipt(circulation: Circulation, user_id: int, recipient: Recipient | None) -> None:
    """Tell the rules below the person's Recipient row of the circulation (None: not
    received), read by the gate with the circulation itself."""
    setattr(circulation, _RECIPIENT_ID, (user_id, recipient.pk if recipient else None, recipient))


def receipt_read_by_gate(
    user: User | AnonymousUser, circulation: Circulation
) -> tuple[bool, Recipient | None]:
    """(True, the person's Recipient row with its current reply, or None) when the gate
    read it with this circulation; (False, None) when it did not (ask the database)."""
    known = getattr(circulation, _RECIPIENT_ID, None)
    if not user.is_authenticated or known is None or known[0] != user.pk:
        return False, None
    return True, known[2]


def may_see_circulation(user: User | AnonymousUser, circulation: Circulation) -> bool:
    """Whether the circulation exists for this person at all (else 404)."""
    roles = roles_on(user, circulation.committee)
    if Role.SECRETARIAT in roles:
        return True
    if circulation.state in (circulation.State.DRAFT, circulation.State.DISCARDED):
        return False
    if Role.IMPLEMENTING_BODY in roles:
        # its own consultations only; that module builds on this one (a cycle at import)
        from portal.permissions_consultation import body_sees

        if body_sees(user, circulation):
            return True
    if is_recipient(user, circulation):
        return True
    # A chair (or acting chair) appointed after sending must still see what they decide.
    S = circulation.State
    return (
        circulation.state in (S.CLOSED, S.DECIDED, S.ARCHIVED)
        and bool(roles & {Role.CHAIR, Role.ACTING_CHAIR})
        and acting_decider_role(circulation.committee) in roles
    )


def may_on_circulation(
    user: User | AnonymousUser, action: Action, circulation: Circulation
) -> bool:
    if not may_see_circulation(user, circulation):
        return False
    roles = roles_on(user, circulation.committee)
    secretariat = Role.SECRETARIAT in roles
    recipient = is_recipient(user, circulation)
    state = circulation.state
    S = circulation.State
    match action:
        case Action.VIEW_CIRCULATION | Action.DOWNLOAD_MATERIAL:
            return True
        case Action.REPLY | Action.ASK_QUESTION:
            # Only while the recipient holds a seat (see still_sits): one whose term ended
            # keeps reading what was sent to them, but no longer speaks for the council.
            return recipient and state == S.OPEN and bool(roles.intersection(SITTING_ROLES))
        case Action.ANSWER_QUESTION:
            return (secretariat or Role.IMPLEMENTING_BODY in roles) and state != S.DRAFT
        case Action.TRACK_CIRCULATION | Action.MANAGE_CIRCULATIONS:
            return secretariat
        case Action.DECIDE:
            # The state first: only a closed circulation is decided (no query otherwise).
            return state == S.CLOSED and acting_decider_role(circulation.committee) in roles
        case Action.VIEW_DECISION_PAGE:
            return secretariat or _decides_or_decided(user, roles, circulation)
        case Action.VIEW_DECISION_RECORD:
            return secretariat or (recipient and state in (S.DECIDED, S.ARCHIVED))
        case Action.VIEW_MEETING:
            concerned = secretariat or recipient or bool(roles & {Role.CHAIR, Role.ACTING_CHAIR})
            return concerned and state in (S.DECIDED, S.ARCHIVED)
        case Action.MANAGE_MEETING:
            return secretariat
    raise ValueError(f"{action} is not a circulation-level action")


def _decides_or_decided(user: User, roles: set[str], circulation: Circulation) -> bool:
    """The person who decides once the circulation is closed, and afterwards also the
    person who did decide (the chair may be marked absent or present again later)."""
    S = circulation.State
    if circulation.state not in (S.CLOSED, S.DECIDED, S.ARCHIVED):
        return False
    if acting_decider_role(circulation.committee) in roles:
        return True
    if circulation.state == S.CLOSED:
        return False

    return Decision.objects.filter(circulation=circulation, decided_by=user).exists()


def still_sits(
    user: User | AnonymousUser, committee: Committee, day: dt.date | None = None
) -> bool:
    """Whether the person holds a seat (chair, acting chair, member) on the committee on the
    day (default: today). A recipient replies and asks (web, link, mail) and is reminded only
    while it holds: a term that ends ends the member's say, not their reading."""
    return bool(roles_on(user, committee, day).intersection(SITTING_ROLES))


def sitting(user: str, committee: str, day: dt.date) -> Exists:
    """`still_sits` for querysets: `user`, `committee` name the outer query's id fields."""
    return Exists(
        Membership.objects.on(day).filter(
            user_id=OuterRef(user), committee_id=OuterRef(committee), role__in=SITTING_ROLES
        )
    )


def may_see_member_names(user: User | AnonymousUser, circulation: Circulation) -> bool:
    """Whether replies and questions are shown with members' names (else 「委員」): the
    secretariat, the chair and the acting chair always; members only when the committee
    shows names. Callers check first that the person may see the page at all."""
    if circulation.committee.show_member_names:
        return True
    roles = roles_on(user, circulation.committee)
    return bool(roles & {Role.SECRETARIAT, Role.CHAIR, Role.ACTING_CHAIR})


def refuse(
    user: User | AnonymousUser,
    action: Action | str,
    status: int,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: object = "",
    committee: Committee | None = None,
) -> NoReturn:
    """Log the refusal (`access.refused`), then raise 404 or 403. Every gate refuses
    through here, so each 403/404 on an object names the object in the log; the entry
    carries the object's committee, so that committee's secretariat sees the attempt."""
    audit.record(
        "access.refused",
        actor=user if user.is_authenticated else None,
        obj=obj,
        object_type=object_type,
        object_id=str(object_id),
        committee=committee,
        result=AuditEntry.Result.REFUSED,
        data={"url": audit.current_origin().path, "permission": str(action), "status": status},
    )
    exc: Exception = Http404() if status == 404 else PermissionDenied()
    exc.audit_logged = True  # type: ignore[attr-defined]  # the fallback logger skips it
    raise exc


def committee_or_404(user: User | AnonymousUser, committee_id: int, action: Action) -> Committee:
    """The committee, if the person may do the action there; 404 if they are not on it at
    all, 403 if they are but may not. Refusals are logged."""
    committee = _own_committee(user, committee_id)
    if committee is None:
        committee = Committee.objects.filter(pk=committee_id).first()
    if committee is None:
        refuse(user, action, 404, object_type="portal.committee", object_id=committee_id)
    if not roles_on(user, committee):
        refuse(user, action, 404, obj=committee)
    if not may_on_committee(user, action, committee):
        refuse(user, action, 403, obj=committee)
    note_committee(committee.pk)
    return committee


def _own_committee(user: User | AnonymousUser, committee_id: int) -> Committee | None:
    """The committee as read with the person's memberships today, if they sit on it."""
    for membership in memberships_of(user):
        if membership.committee_id == committee_id:
            return membership.committee
    return None


def committees_or_404(user: User | AnonymousUser, action: Action) -> list[Committee]:
    """Every committee where the person may do the action today (for pages that span the
    person's committees, such as the audit log); 404 for someone on no committee, 403 for
    someone on committees who may do the action on none of them. Refusals are logged."""
    committees = committees_of(user)
    allowed = [c for c in committees if may_on_committee(user, action, c)]
    if allowed:
        return allowed
    refuse(user, action, 403 if committees else 404)


def circulation_or_404(
    user: User | AnonymousUser, circulation_id: int, action: Action
) -> Circulation:

    # One statement: the circulation, its committee, the person's receipt and its reply.
    user_id = user.pk if user.is_authenticated else None
    mine = FilteredRelation("recipients", condition=Q(recipients__user_id=user_id))
    circulations = Circulation.objects.annotate(receipt=mine).filter(pk=circulation_id)
    circulation = circulations.select_related("committee", "receipt__current_reply").first()
    if circulation is None:
        refuse(user, action, 404, object_type="circulation.circulation", object_id=circulation_id)
    if user_id is not None:  # `receipt` is set only when the join found a row
        remember_receipt(circulation, user_id, getattr(circulation, "receipt", None))
    if not may_see_circulation(user, circulation):
        refuse(user, action, 404, obj=circulation)
    if not may_on_circulation(user, action, circulation):
        refuse(user, action, 403, obj=circulation)
    note_committee(circulation.committee_id)
    return circulation


def meeting_or_404(
    user: User | AnonymousUser, circulation_id: int, action: Action
) -> tuple[Circulation, Meeting]:
    """The circulation (through its gate, for `action`) and its meeting. A circulation
    without a meeting answers a logged 404 naming the meeting asked for."""

    circulation = circulation_or_404(user, circulation_id, action)
    meeting = Meeting.objects.filter(circulation=circulation).first()
    if meeting is None:
        refuse(
            user,
            action,
            404,
            object_type="circulation.meeting",
            object_id=f"circulation-{circulation.pk}",
            committee=circulation.committee,
        )
    meeting.circulation = circulation  # the gate's, with its committee and the receipt
    return circulation, meeting


def object_or_404(
    user: User | AnonymousUser, queryset: models.QuerySet, pk: int, action: Action
) -> models.Model:
    """One object of `queryset`, which the caller has narrowed to what the person may reach
    (the materials of a circulation that passed its gate, the memberships of a committee…).
    Anything else is a 404 logged with the type and id asked for, and, when the object
    exists elsewhere, with that object's committee, so that its secretariat sees the
    attempt; its title is not copied into the entry."""
    found = queryset.filter(pk=pk).first()
    if found is not None:
        return found
    model = queryset.model
    elsewhere = model._default_manager.filter(pk=pk).first()
    refuse(
        user,
        action,
        404,
        object_type=model._meta.label_lower,
        object_id=pk,
        committee=audit.committee_of(elsewhere) if elsewhere is not None else None,
    )
