"""Membership changes: invite, change a role, end a term, re-appoint, mark the chair absent.

Every function locks the committee row first (`select_for_update`), so that two
secretariat members acting at once cannot both seat a chair; every change is audited.
"""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from circulation.services.decisions import tell_new_decider
from portal import audit
from portal.models import SINGLE_SEAT_ROLES, Committee, Membership, Role, User
from portal.permissions import decider_of
from portal.services.errors import Refused
from portal.services.invitations import queue_invitation_mail


def default_term_end(term_start: dt.date) -> dt.date:
    """The last day of a two-year term (任期) starting on `term_start`."""
    try:
        same_day = term_start.replace(year=term_start.year + 2)
    except ValueError:  # 29 February: the term runs to 28 February two years on
        same_day = dt.date(term_start.year + 2, 3, 1)
    return same_day - dt.timedelta(days=1)


def _day(value: dt.date | None) -> str:
    return formats.date_format(value) if value else _("定めなし")


def _term(start: dt.date, end: dt.date | None) -> str:
    return _("%(start)s〜%(end)s") % {"start": _day(start), "end": _day(end)}


def _overlapping(
    committee: Committee, start: dt.date, end: dt.date | None, exclude: tuple[int, ...]
) -> Q:
    """Memberships of the committee whose term shares at least one day with start..end."""
    q = Q(committee=committee) & (Q(term_end__isnull=True) | Q(term_end__gte=start))
    if end is not None:
        q &= Q(term_start__lte=end)
    return q & ~Q(pk__in=exclude)


def check_membership_allowed(
    committee: Committee,
    user: User | None,
    role: str,
    start: dt.date,
    end: dt.date | None,
    *,
    exclude: tuple[int, ...] = (),
) -> None:
    """Refuse a term that would seat a second chair (or acting chair) on some day, or seat
    the same person twice on the committee. Call it with the committee row locked."""
    if end is not None and end < start:
        raise Refused(_("任期終了日は任期開始日より後の日付にしてください。"), field="term_end")
    window = _overlapping(committee, start, end, exclude)
    if role in SINGLE_SEAT_ROLES:
        holder = (
            Membership.objects.filter(window, role=role)
            .select_related("user")
            .order_by("term_start")
            .first()
        )
        if holder is not None:
            raise Refused(
                _(
                    "この期間にはすでに%(role)sがいます(%(name)s、任期 %(term)s)。"
                    "%(role)sは同時に1名だけです。先にその任期を終了してください。"
                )
                % {
                    "role": Role(role).label,
                    "name": holder.user.full_name,
                    "term": _term(holder.term_start, holder.term_end),
                },
                field="role",
            )
    if user is not None and user.pk is not None:
        seat = Membership.objects.filter(window, user=user).order_by("term_start").first()
        if seat is not None:
            raise Refused(
                _("%(name)sさんは、この期間すでにこの審議会の%(role)sです(任期 %(term)s)。")
                % {
                    "name": user.full_name,
                    "role": seat.get_role_display(),
                    "term": _term(seat.term_start, seat.term_end),
                }
            )


def _lock(committee: Committee) -> Committee:
    return Committee.objects.select_for_update().get(pk=committee.pk)


def _locked_membership(membership: Membership) -> tuple[Committee, Membership]:
    committee = _lock(membership.committee)
    fresh = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    return committee, fresh


def _user_for_invitation(email: str, full_name: str) -> tuple[User, bool]:
    """The person with this address, or a new one whose address is not yet verified."""
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if not user.is_active:
            raise Refused(
                _("このメールアドレスのアカウントは無効にされています。管理者にご相談ください。"),
                field="email",
            )
        return user, False
    user = User.objects.create_user(email=email, full_name=full_name)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    return user, True


def invite_member(
    committee: Committee,
    full_name: str,
    email: str,
    role: str,
    term_start: dt.date,
    term_end: dt.date | None,
    by: User,
) -> Membership:
    """Seat a person (new or known by mail address) and send the invitation mail."""
    email = email.strip().lower()
    full_name = full_name.strip()
    with transaction.atomic():
        committee = _lock(committee)
        existing = User.objects.filter(email__iexact=email).first()
        check_membership_allowed(committee, existing, role, term_start, term_end)
        user, created = _user_for_invitation(email, full_name)
        membership = Membership.objects.create(
            user=user, committee=committee, role=role, term_start=term_start, term_end=term_end
        )
        audit.record(
            "committee.member.invited",
            actor=by,
            obj=membership,
            data={
                "email": email,
                "role": role,
                "term_start": term_start.isoformat(),
                "term_end": term_end.isoformat() if term_end else None,
                "new_account": created,
            },
        )
        queue_invitation_mail(membership, by=by, key=str(membership.pk))
    return membership


def change_role(
    membership: Membership, role: str, by: User, *, effective: dt.date | None = None
) -> Membership:
    """Give the person another role from `effective` (default today) to the end of the
    term. A term that has already begun is split, so that who held which role on which
    day stays true; a term not yet begun changes as a whole. Returns the membership that
    holds the new role."""
    effective = effective or timezone.localdate()
    with transaction.atomic():
        committee, current = _locked_membership(membership)
        if role == current.role:
            raise Refused(_("役割が変わっていません。"), field="role")
        if current.term_end is not None and effective > current.term_end:
            raise Refused(
                _("任期終了後の日付では役割を変更できません。再任の手続きをしてください。"),
                field="effective",
            )
        previous_role = current.role
        if effective <= current.term_start:
            check_membership_allowed(
                committee,
                current.user,
                role,
                current.term_start,
                current.term_end,
                exclude=(current.pk,),
            )
            current.role = role
            current.save(update_fields=["role"])
            changed, previous_id = current, None
        else:
            check_membership_allowed(
                committee, current.user, role, effective, current.term_end, exclude=(current.pk,)
            )
            changed = Membership.objects.create(
                user=current.user,
                committee=committee,
                role=role,
                term_start=effective,
                term_end=current.term_end,
            )
            current.term_end = effective - dt.timedelta(days=1)
            current.save(update_fields=["term_end"])
            previous_id = current.pk
        audit.record(
            "committee.member.role_changed",
            actor=by,
            obj=changed,
            data={
                "from": previous_role,
                "to": role,
                "effective": max(effective, changed.term_start).isoformat(),
                "previous_membership": previous_id,
            },
        )
    return changed


def end_term(membership: Membership, by: User, *, on: dt.date | None = None) -> Membership:
    """End the term on `on` (default today), the last day served."""
    on = on or timezone.localdate()
    with transaction.atomic():
        _committee, current = _locked_membership(membership)
        if on < current.term_start:
            raise Refused(
                _("任期終了日は任期開始日(%(start)s)以降の日付にしてください。")
                % {"start": _day(current.term_start)},
                field="term_end",
            )
        if current.term_end is not None and on >= current.term_end:
            raise Refused(
                _("任期はすでに%(end)sに終了します。それより前の日付を指定してください。")
                % {"end": _day(current.term_end)},
                field="term_end",
            )
        previous_end = current.term_end
        current.term_end = on
        current.save(update_fields=["term_end"])
        audit.record(
            "committee.member.term_ended",
            actor=by,
            obj=current,
            data={
                "term_end": on.isoformat(),
                "previous_term_end": previous_end.isoformat() if previous_end else None,
            },
        )
    return current


def reappoint(
    membership: Membership,
    by: User,
    *,
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    role: str | None = None,
) -> Membership:
    """Seat the person again for a new term, by default the two years that follow the
    current term, in the same role."""
    with transaction.atomic():
        committee, current = _locked_membership(membership)
        if current.term_end is None:
            raise Refused(
                _("任期の終了日が決まっていないため再任できません。先に任期を終了してください。")
            )
        term_start = term_start or current.term_end + dt.timedelta(days=1)
        if term_start <= current.term_end:
            raise Refused(
                _("新しい任期は、前の任期の終了日(%(end)s)の翌日以降に始めてください。")
                % {"end": _day(current.term_end)},
                field="term_start",
            )
        term_end = term_end or default_term_end(term_start)
        role = role or current.role
        check_membership_allowed(committee, current.user, role, term_start, term_end)
        new = Membership.objects.create(
            user=current.user,
            committee=committee,
            role=role,
            term_start=term_start,
            term_end=term_end,
        )
        audit.record(
            "committee.member.reappointed",
            actor=by,
            obj=new,
            data={
                "previous_membership": current.pk,
                "role": role,
                "term_start": term_start.isoformat(),
                "term_end": term_end.isoformat(),
            },
        )
    return new


def set_chair_absent(committee: Committee, absent: bool, by: User) -> Committee:
    """Mark the chair absent (the acting chair then decides) or present again. Whoever
    decides from now on is told of each closed circulation waiting for a decision: the
    closing summary sent them no link to decide (they did not decide then)."""
    with transaction.atomic():
        committee = _lock(committee)
        if committee.chair_absent == absent:
            return committee
        _role, before = decider_of(committee)
        committee.chair_absent = absent
        committee.save(update_fields=["chair_absent"])
        switch = audit.record(
            "committee.chair_absence.changed",
            actor=by,
            obj=committee,
            data={"chair_absent": absent},
        )
        _role, after = decider_of(committee)
        if after is not None and (before is None or before.user_id != after.user_id):
            tell_new_decider(committee, after, key=f"switch-{switch.pk}")
    return committee
