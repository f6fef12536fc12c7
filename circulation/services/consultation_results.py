"""The council's result on a consultation and its report (答申).

- `confirm_written_result`: the chair (or the acting chair) confirms a closed written vote
  per item — the result the council's rules propose, or 継続審議; on a tie 承認 or 不承認 as
  the casting vote; never 承認 without quorum — and adopts the riders (付言), with the
  council's reasons. The circulation's compare-and-swap (closed → decided) and its one
  Decision row make two confirmations one. Deciding to deliberate at a meeting instead is
  the circulation's own `decide(convene=True)`.
- `record_meeting_result`: a consultation deliberated at a meeting (after 開催する, or
  registered for a session and never sent): the secretariat records each item's result,
  the riders and the reasons; `add_statements` the Q&A said at the meeting.
The report (答申) itself — edited and issued — is services/reports.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.consultation import queue_result_notice
from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    ConsultationRules,
    Decision,
    ItemVote,
    Result,
    Rider,
    Statement,
)
from circulation.reads.consultation_tally import ItemTally, Proposal, tally_items
from portal import audit
from portal.models import Membership, Role, User
from portal.permissions import Action, acting_decider_role, may_on_circulation, roles_on
from portal.permissions_consultation import ConsultationAction, may_on_consultation

MAX_TEXT = 4000


class ResultRefused(Exception):
    """The step is not possible now or not for this person; `code` lets the page choose its
    status (not_allowed → 403, the others → 409) and the message says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ResultInvalid(Exception):
    """The input is incomplete or breaks the council's rules; `field` names the form field
    (an item's result field, "reasons", a rider's row)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class RiderDraft:
    """A rider to adopt: its text and, if it came from a member's proposal, that vote."""

    text: str
    proposed_in: int | None = None  # an ItemVote id


@dataclass(frozen=True)
class StatementDraft:
    section: str
    speaker_role: str
    text: str
    speaker_id: int | None = None


# --- The chair confirms a written vote -------------------------------------------------------


def confirm_written_result(
    circulation_id: int,
    *,
    by: User,
    results: dict[int, str],
    riders: list[RiderDraft],
    reasons: str,
    now: dt.datetime | None = None,
) -> Consultation:
    """Confirm the result of a closed written vote (書面による議事), item by item."""
    now = now or timezone.now()
    circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
    consultation = Consultation.objects.get(pk=circulation.pk)
    refusal = _confirm_refusal(circulation, by)
    if refusal is not None:
        log_refusal(circulation, by, refusal)
        raise refusal
    reasons = checked_reasons(reasons)
    tallies = {t.item.pk: t for t in tally_items(circulation, consultation)}
    for item_id, tally in tallies.items():
        chosen = results.get(item_id, "")
        allowed = tally.proposal.allowed()
        if chosen not in allowed:
            raise ResultInvalid(
                why_not_allowed(tally.item, chosen, tally.proposal), f"item_{item_id}"
            )
    riders = _checked_riders(riders, consultation)
    with transaction.atomic():
        # Compare-and-swap on the circulation's state: of two confirmations (or a decision
        # to convene) exactly one moves it; the unique Decision row stands behind it.
        swapped = Circulation.objects.filter(
            pk=circulation.pk, state=Circulation.State.CLOSED
        ).update(state=Circulation.State.DECIDED, updated_at=now)
        if not swapped:
            refusal = ResultRefused(_("この諮問の結果はすでに決定されています。"), "decided")
        else:
            decided_as = acting_decider_role(circulation.committee)
            Decision.objects.create(
                circulation=circulation,
                convene=False,
                reason=reasons,
                decided_by=by,
                decided_as=decided_as,
                decided_at=now,
            )
            for item_id, tally in tallies.items():
                item = tally.item
                item.result = results[item_id]
                item.casting_vote = _casting(tally, results[item_id])
                item.save(update_fields=["result", "casting_vote"])
            _adopt(consultation, riders, by, now)
            rules = ConsultationRules.rules_of(circulation.committee)
            _decided(consultation, Consultation.DecidedHow.WRITTEN, by, decided_as, reasons, now)
            consultation.rules_applied = rules.as_dict()
            consultation.save(update_fields=["rules_applied"])
            audit.record(
                "consultation.result.confirmed",
                actor=by,
                obj=circulation,
                data={
                    "results": {t.item.order: results[i] for i, t in tallies.items()},
                    "tie_broken": [t.item.order for t in tallies.values() if t.proposal.tie],
                    "riders": len(riders),
                    "decided_as": decided_as,
                    "rules": rules.as_dict(),
                },
            )
            _tell_result(circulation, now)
    if refusal is not None:
        log_refusal(circulation, by, refusal)
        raise refusal
    return consultation


def _confirm_refusal(circulation: Circulation, by: User) -> ResultRefused | None:
    if may_on_circulation(by, Action.DECIDE, circulation):
        return None
    if acting_decider_role(circulation.committee) not in roles_on(by, circulation.committee):
        return ResultRefused(
            _("書面による議事の結果を確定できるのは会長(会長が不在のときは職務代理者)です。"),
            "not_allowed",
        )
    if circulation.state in (Circulation.State.DECIDED, Circulation.State.ARCHIVED):
        return ResultRefused(_("この諮問の結果はすでに決定されています。"), "decided")
    return ResultRefused(
        _("回答期限を過ぎて締め切られるまでは、結果を確定できません。"), "not_closed"
    )


def why_not_allowed(item: ConsultationItem, chosen: str, proposal: Proposal) -> str:
    """What to tell the chair who chose a result the rules do not allow for the item."""
    if not chosen:
        return _("議題%(order)sの結果を選んでください。") % {"order": item.order}
    if chosen == Result.APPROVED and not proposal.quorum_met:
        return _(
            "議題%(order)s: 定足数に達していないため、書面による議事では「承認」にできません。"
            "期限を延長するか、会議で審議してください。"
        ) % {"order": item.order}
    return _("議題%(order)s: 規則による結果(%(proposal)s)か、継続審議を選んでください。") % {
        "order": item.order,
        "proposal": proposal.label,
    }


def _casting(tally: ItemTally, result: str) -> str:
    if not tally.proposal.tie or result == Result.CARRIED_OVER:
        return ""
    return "approve" if result == Result.APPROVED else "disapprove"


# --- The secretariat records a meeting's result ------------------------------------------------


def record_meeting_result(
    circulation_id: int,
    *,
    by: User,
    results: dict[int, str],
    riders: list[RiderDraft],
    reasons: str,
    now: dt.datetime | None = None,
) -> Consultation:
    """The result of a consultation deliberated at a meeting: after the decision to
    convene, or registered for a session and never sent (then its recipients, as drafted,
    see it from now on)."""
    now = now or timezone.now()
    reasons = checked_reasons(reasons)
    with transaction.atomic():
        circulation = (
            Circulation.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(pk=circulation_id)
        )
        consultation = Consultation.objects.select_for_update().get(pk=circulation.pk)
        refusal = _meeting_refusal(circulation, consultation, by)
        if refusal is None:
            items = list(consultation.items.all())
            for item in items:
                if results.get(item.pk) not in Result.values:
                    raise ResultInvalid(
                        _("議題%(order)sの結果を選んでください。") % {"order": item.order},
                        f"item_{item.pk}",
                    )
            checked = _checked_riders(riders, consultation)
            if circulation.state == Circulation.State.DRAFT:
                circulation.state = Circulation.State.DECIDED
                circulation.updated_at = now
                circulation.save(update_fields=["state", "updated_at"])
            for item in items:
                item.result = results[item.pk]
                item.save(update_fields=["result"])
            _adopt(consultation, checked, by, now)
            _decided(
                consultation, Consultation.DecidedHow.MEETING, by, Role.SECRETARIAT, reasons, now
            )
            audit.record(
                "consultation.result.recorded",
                actor=by,
                obj=circulation,
                data={
                    "results": {item.order: results[item.pk] for item in items},
                    "riders": len(checked),
                    "how": "meeting",
                },
            )
            _tell_result(circulation, now)
    if refusal is not None:
        log_refusal(circulation, by, refusal)
        raise refusal
    return consultation


def _meeting_refusal(
    circulation: Circulation, consultation: Consultation, by: User
) -> ResultRefused | None:
    if not may_on_consultation(by, ConsultationAction.RECORD_MEETING, circulation):
        return ResultRefused(_("会議の結果を登録できるのは事務局です。"), "not_allowed")
    if consultation.is_decided:
        return ResultRefused(_("この諮問の結果はすでに決定されています。"), "decided")
    S = Circulation.State
    convened = Decision.objects.filter(circulation=circulation, convene=True).exists()
    if circulation.state == S.DRAFT or (circulation.state == S.DECIDED and convened):
        return None
    return ResultRefused(
        _(
            "会議の結果を登録できるのは、会議で審議することが決まった諮問か、"
            "送付せずに会議で審議する諮問です。"
        ),
        "not_now",
    )


def add_statements(
    circulation_id: int,
    *,
    by: User,
    statements: list[StatementDraft],
    now: dt.datetime | None = None,
) -> list[Statement]:
    """The Q&A and deliberation said at the meeting, by section and speaker's role, in the
    order given, after those already recorded; until the report is issued."""
    now = now or timezone.now()
    statements = [s for s in statements if s.text.strip()]
    if not statements:
        raise ResultInvalid(_("発言を1件以上入力してください。"))
    for draft in statements:
        if draft.section not in Statement.Section.values or draft.speaker_role not in Role.values:
            raise ResultInvalid(_("発言の区分と発言者を選んでください。"))
        if len(draft.text) > MAX_TEXT:
            raise ResultInvalid(
                _("発言は%(limit)s文字以内で入力してください。") % {"limit": MAX_TEXT}
            )
    with transaction.atomic():
        circulation = Circulation.objects.select_for_update(of=("self",)).get(pk=circulation_id)
        consultation = Consultation.objects.get(pk=circulation.pk)
        if not may_on_consultation(by, ConsultationAction.RECORD_MEETING, circulation):
            raise ResultRefused(_("会議の発言を登録できるのは事務局です。"), "not_allowed")
        if consultation.is_issued or circulation.state == Circulation.State.DISCARDED:
            raise ResultRefused(_("答申した後は発言を登録できません。"), "issued")
        start = consultation.statements.aggregate(top=Max("order"))["top"] or 0
        created = Statement.objects.bulk_create(
            Statement(
                consultation=consultation,
                section=draft.section,
                order=start + n,
                speaker_role=draft.speaker_role,
                speaker_id=draft.speaker_id,
                text=draft.text.strip(),
                recorded_by=by,
                recorded_at=now,
            )
            for n, draft in enumerate(statements, start=1)
        )
        audit.record(
            "consultation.statements.added",
            actor=by,
            obj=circulation,
            data={"count": len(created)},
        )
    return created


# --- Shared steps ------------------------------------------------------------------------------


def checked_reasons(reasons: str) -> str:
    reasons = (reasons or "").strip()
    if not reasons:
        raise ResultInvalid(_("答申の理由を入力してください。"), "reasons")
    if len(reasons) > MAX_TEXT:
        raise ResultInvalid(
            _("理由は%(limit)s文字以内で入力してください。") % {"limit": MAX_TEXT}, "reasons"
        )
    return reasons


def _checked_riders(riders: list[RiderDraft], consultation: Consultation) -> list[RiderDraft]:
    kept = [RiderDraft(r.text.strip(), r.proposed_in) for r in riders if r.text.strip()]
    if any(len(r.text) > MAX_TEXT for r in kept):
        raise ResultInvalid(_("付言は%(limit)s文字以内で入力してください。") % {"limit": MAX_TEXT})
    proposals = {r.proposed_in for r in kept if r.proposed_in}
    if proposals:
        found = ItemVote.objects.filter(
            pk__in=proposals, item__consultation=consultation
        ).values_list("pk", flat=True)
        if set(found) != proposals:
            raise ResultInvalid(_("付言の提案が見つかりません。ページを読み込み直してください。"))
    return kept


def _adopt(
    consultation: Consultation, riders: list[RiderDraft], by: User, now: dt.datetime
) -> None:
    Rider.objects.bulk_create(
        Rider(
            consultation=consultation,
            order=n,
            text=r.text,
            proposed_in_id=r.proposed_in,
            adopted_by=by,
            adopted_at=now,
        )
        for n, r in enumerate(riders, start=1)
    )


def _decided(
    consultation: Consultation, how: str, by: User, role: str, reasons: str, now: dt.datetime
) -> None:
    consultation.decided_how = how
    consultation.decided_at = now
    consultation.decided_by = by
    consultation.decided_as = role
    consultation.council_reasons = reasons
    consultation.report_version += 1
    consultation.save(
        update_fields=[
            "decided_how",
            "decided_at",
            "decided_by",
            "decided_as",
            "council_reasons",
            "report_version",
        ]
    )


def _tell_result(circulation: Circulation, now: dt.datetime) -> None:
    """Every recipient and the sitting secretariat, each once (never the implementing
    body's staff: the result notice is the council's; they hear of the report)."""
    people: dict[int, User] = {}
    for recipient in circulation.recipients.select_related("user"):
        people.setdefault(recipient.user_id, recipient.user)
    for seat in seats_of(circulation, now, (Role.SECRETARIAT,)):
        people.setdefault(seat.user_id, seat.user)
    for person in people.values():
        if person.is_active:
            queue_result_notice(circulation, person)


def seats_of(
    circulation: Circulation, now: dt.datetime, roles: tuple[str, ...]
) -> list[Membership]:
    return list(
        Membership.objects.on(timezone.localdate(now))
        .filter(committee=circulation.committee, role__in=roles)
        .select_related("user")
    )


def log_refusal(circulation: Circulation, by: User, refusal: ResultRefused) -> None:
    """Logged outside any rolled-back transaction, so that the refusal is kept."""
    audit.record(
        "consultation.result.refused",
        actor=by,
        obj=circulation,
        result="refused",
        data={"reason": refusal.code, "state": circulation.state},
    )
