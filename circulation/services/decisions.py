"""The chair's decision (開催の要否): final once made; every recipient and the secretariat
are told. Also the secretariat's archiving, and telling a new decider of what waits for them
when the chair-absence switch (portal/services/membership.py) changes who decides."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circulation.mail.decision import queue_decider_changed, queue_decision_notice
from circulation.models import Circulation, Decision
from circulation.reads.deciding import people_to_tell
from portal import audit
from portal.models import Committee, Membership, User
from portal.permissions import (
    Action,
    acting_decider_role,
    may_on_circulation,
    may_see_circulation,
    roles_on,
)

REASON_REQUIRED = gettext_lazy("理由を入力してください。")
REASON_MAX_LENGTH = 4000


class DecisionRefused(Exception):
    """The decision cannot be made (not closed yet, already decided, not the decider).
    `code` lets a page choose its status: not_decider → 403, the others → 409."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class DecisionInvalid(Exception):
    """The decision itself is incomplete: the reason (理由) is missing or too long."""


class ArchiveRefused(Exception):
    """Only a decided circulation can be archived, and only by the secretariat."""


def decide(
    circulation_id: int,
    *,
    convene: bool,
    reason: str,
    by: User,
    now: dt.datetime | None = None,
) -> Decision:
    """Record the decision of the chair (or acting chair) on a closed circulation.

    Refused unless the circulation is closed and `by` is the current decider; a second
    call is refused by a compare-and-swap on the state (closed → decided) and the unique
    Decision row. Every recipient and the secretariat get the decision notice.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
    refusal = _refusal(circulation, by)
    if refusal is None:
        if not reason:
            raise DecisionInvalid(str(REASON_REQUIRED))
        if len(reason) > REASON_MAX_LENGTH:
            raise DecisionInvalid(
                _("理由は%(max)d文字以内で入力してください。") % {"max": REASON_MAX_LENGTH}
            )
        decision = _record_decision(circulation, convene, reason, by, now)
        if decision is not None:
            return decision
        refusal = DecisionRefused(_("開催の要否はすでに決定されています。"), "already_decided")
    # Logged outside any rolled-back transaction so that the refusal is kept.
    audit.record(
        "circulation.decision.refused",
        actor=by,
        obj=circulation,
        result="refused",
        data={"reason": refusal.code, "state": circulation.state},
    )
    raise refusal


def _refusal(circulation: Circulation, by: User) -> DecisionRefused | None:
    if may_on_circulation(by, Action.DECIDE, circulation):
        return None
    decider = acting_decider_role(circulation.committee)
    if decider not in roles_on(by, circulation.committee) or not may_see_circulation(
        by, circulation
    ):
        return DecisionRefused(
            _("開催の要否を決定できるのは会長(会長が不在のときは職務代理者)です。"),
            "not_decider",
        )
    if circulation.state in (Circulation.State.DECIDED, Circulation.State.ARCHIVED):
        return DecisionRefused(_("開催の要否はすでに決定されています。"), "already_decided")
    return DecisionRefused(
        _("回答期限を過ぎて締め切られるまでは、開催の要否を決定できません。"), "not_closed"
    )


def _record_decision(
    circulation: Circulation, convene: bool, reason: str, by: User, now: dt.datetime
) -> Decision | None:
    with transaction.atomic():
        # Compare-and-swap: of two racing decisions exactly one moves the state.
        swapped = Circulation.objects.filter(
            pk=circulation.pk, state=Circulation.State.CLOSED
        ).update(state=Circulation.State.DECIDED, updated_at=now)
        if not swapped:
            return None
        circulation.state = Circulation.State.DECIDED
        decision = Decision.objects.create(
            circulation=circulation,
            convene=convene,
            reason=reason,
            decided_by=by,
            # The same rule the permission check just applied (today, Japan time).
            decided_as=acting_decider_role(circulation.committee),
            decided_at=now,
        )
        audit.record(
            "circulation.decided",
            actor=by,
            obj=circulation,
            data={
                "decision": decision.pk,
                "convene": convene,
                "decided_as": decision.decided_as,
                "reason": reason,
            },
        )
        for person in people_to_tell(circulation, now):
            queue_decision_notice(decision, person)
    return decision


def tell_new_decider(committee: Committee, decider: Membership, *, key: str) -> int:
    """`decider` decides from now on (the chair was marked absent, or present again): one
    mail for each closed circulation of the committee still waiting for its decision, with
    the decision page. Called in the transaction of the switch; `key` names the switch, so
    each circulation is told once per switch. Returns the number of mails queued."""
    if not decider.user.is_active:
        return 0
    waiting = Circulation.objects.filter(
        committee=committee, state=Circulation.State.CLOSED
    ).select_related("committee")
    queued = 0
    for circulation in waiting:
        queued += (
            queue_decider_changed(circulation, decider.user, role=decider.role, key=key) is not None
        )
    return queued


def archive_circulation(
    circulation_id: int, *, by: User, now: dt.datetime | None = None
) -> Circulation:
    """The secretariat files a decided circulation (完了): when the council does not
    convene, or after the meeting."""
    now = now or timezone.now()
    circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
    if not may_on_circulation(by, Action.MANAGE_CIRCULATIONS, circulation):
        raise ArchiveRefused(_("完了にできるのは事務局だけです。"))
    with transaction.atomic():
        swapped = Circulation.objects.filter(
            pk=circulation.pk, state=Circulation.State.DECIDED
        ).update(state=Circulation.State.ARCHIVED, updated_at=now)
        if swapped:
            circulation.state = Circulation.State.ARCHIVED
            audit.record("circulation.archived", actor=by, obj=circulation)
            return circulation
    raise ArchiveRefused(_("開催の要否が決定された書面照会だけを完了にできます。"))
