"""The tally of a written vote (書面による議事) per item, and the result the council's rules
give (`propose`): read by the chair's page, the vote table, the record, the closing summary
and the result service, which checks the chair's choice against the same proposal.

How a vote counts (ConsultationRules):
- every recipient of the consultation counts as a member (the sitting members it was sent
  to, frozen when sent); a member who voted 承認, 不承認 or 保留 on an item took part in it;
- quorum (定足数): more than half, or half or more, of the members took part — or none set;
- the votes cast (投票数) are the 承認 and 不承認 votes, and the 保留 votes too when the
  council counts them (then they count against, since they are not 承認);
- 承認 needs more than half of the votes cast, or of the members (議決);
- as many cast against (不承認, and 保留 when counted) as for is a tie (可否同数): the chair
  decides (会長の裁決) if the council says so, else it is not approved;
- without quorum, or with no vote cast at all, the item cannot be decided in writing: the
  proposal is 継続審議, and 承認 is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    ConsultationRules,
    ItemVote,
    Recipient,
    Result,
    Vote,
)
from portal.models import Role


@dataclass(frozen=True)
class VoteRow:
    """One member's current vote on one item (None: not voted on it)."""

    recipient: Recipient
    vote: ItemVote | None

    @property
    def who(self) -> str:
        return self.recipient.user.full_name

    @property
    def role_label(self) -> str:
        return "" if self.recipient.role == Role.MEMBER else self.recipient.get_role_display()


@dataclass(frozen=True)
class Proposal:
    """What the rules give for one item: the result, whether it is a tie the chair breaks,
    whether quorum was reached, and the sentence that says why."""

    result: str  # a Result value
    tie: bool
    quorum_met: bool
    why: str

    @property
    def label(self) -> str:
        return Result(self.result).label

    def allowed(self) -> list[str]:
        """The results the chair may confirm: the proposal or 継続審議; on a tie either way
        (the casting vote); never 承認 without quorum."""
        if not self.quorum_met:
            return [Result.CARRIED_OVER]
        if self.tie:
            return [Result.APPROVED, Result.DISAPPROVED, Result.CARRIED_OVER]
        return list(dict.fromkeys([self.result, Result.CARRIED_OVER]))


@dataclass
class ItemTally:
    item: ConsultationItem
    members: int
    rows: list[VoteRow] = field(default_factory=list)
    approve: int = 0
    disapprove: int = 0
    abstain: int = 0
    proposal: Proposal | None = None

    @property
    def took_part(self) -> int:
        return self.approve + self.disapprove + self.abstain

    @property
    def not_voted(self) -> list[VoteRow]:
        return [row for row in self.rows if row.vote is None]

    @property
    def voted(self) -> list[VoteRow]:
        return [row for row in self.rows if row.vote is not None]

    @property
    def opinions(self) -> list[VoteRow]:
        return [row for row in self.voted if row.vote.opinion or row.vote.proposed_rider]


def propose(
    approve: int, disapprove: int, abstain: int, members: int, rules: ConsultationRules
) -> Proposal:
    """The result the council's rules give for one item's counts."""
    took_part = approve + disapprove + abstain
    Q = ConsultationRules.Quorum
    quorum_met = {
        Q.MORE_THAN_HALF: took_part * 2 > members,
        Q.HALF_OR_MORE: took_part * 2 >= members,
        Q.NONE: took_part > 0,
    }.get(rules.quorum, took_part * 2 > members)
    if not quorum_met:
        why = _("定足数に達していないため、書面による議事では「承認」にできません。")
        return Proposal(Result.CARRIED_OVER, False, False, str(why))
    cast = approve + disapprove
    if rules.abstain == ConsultationRules.Abstain.CAST:
        cast += abstain
    base = members if rules.majority == ConsultationRules.Majority.MEMBERS else cast
    if cast == 0 or base == 0:
        why = _("承認・不承認の投票がないため、継続審議とします。")
        return Proposal(Result.CARRIED_OVER, False, True, str(why))
    if approve * 2 > base:
        return Proposal(Result.APPROVED, False, True, str(_("承認が過半数です。")))
    if approve == cast - approve:  # as many against (cast, not 承認) as for
        if rules.chair_casting_vote:
            why = _("可否同数のため、会長が決します。")
            return Proposal(Result.DISAPPROVED, True, True, str(why))
        why = _("可否同数で、承認が過半数に達していません。")
        return Proposal(Result.DISAPPROVED, False, True, str(why))
    return Proposal(Result.DISAPPROVED, False, True, str(_("承認が過半数に達していません。")))


def tally_items(circulation: Circulation, consultation: Consultation) -> list[ItemTally]:
    """Each item's current votes, counts and proposal: three queries (items, recipients with
    their current replies, the votes of those replies) whatever the number of members."""
    items = list(consultation.items.all())
    recipients = list(
        Recipient.objects.filter(circulation=circulation)
        .select_related("user", "current_reply")
        .order_by("user__full_name", "id")
    )
    current = [r.current_reply_id for r in recipients if r.current_reply_id]
    votes: dict[tuple[int, int], ItemVote] = {}
    for vote in ItemVote.objects.filter(reply_id__in=current):
        votes[(vote.reply_id, vote.item_id)] = vote
    rules = ConsultationRules.rules_of(circulation.committee)
    tallies = []
    for item in items:
        tally = ItemTally(item=item, members=len(recipients))
        for recipient in recipients:
            vote = votes.get((recipient.current_reply_id, item.pk))
            tally.rows.append(VoteRow(recipient, vote))
            if vote is not None:
                counts = {Vote.APPROVE: "approve", Vote.DISAPPROVE: "disapprove"}
                name = counts.get(vote.vote, "abstain")
                setattr(tally, name, getattr(tally, name) + 1)
        tally.proposal = propose(
            tally.approve, tally.disapprove, tally.abstain, tally.members, rules
        )
        tallies.append(tally)
    return tallies
