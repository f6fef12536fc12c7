"""How a written vote counts (書面による議事): the result the council's rules give for one
item's votes. Five members (the council of the personas): quorum, how 保留 counts, the
majority, and a tie (可否同数) broken by the chair or not."""

from __future__ import annotations

import pytest

from circulation.models import ConsultationRules, Result
from circulation.reads.consultation_tally import propose

R = ConsultationRules
APPROVED, DISAPPROVED, CARRIED_OVER = Result.APPROVED, Result.DISAPPROVED, Result.CARRIED_OVER


def rules(**settings: object) -> ConsultationRules:
    return ConsultationRules(**settings)  # unsaved: the defaults unless told


def test_the_defaults_are_quorum_of_more_than_half_majority_of_votes_cast_and_casting_vote():
    default = rules()
    assert default.quorum == R.Quorum.MORE_THAN_HALF
    assert default.abstain == R.Abstain.NOT_CAST
    assert default.majority == R.Majority.VOTES_CAST
    assert default.chair_casting_vote is True


@pytest.mark.parametrize(
    ("approve", "disapprove", "abstain", "expected"),
    [
        (3, 0, 0, APPROVED),  # three of five took part: quorum
        (2, 1, 0, APPROVED),
        (1, 2, 0, DISAPPROVED),
        (2, 0, 1, APPROVED),  # 保留 not counted: 2 of 2 cast
        (1, 1, 1, DISAPPROVED),  # a tie: the chair decides (proposal stays 不承認 until then)
        (0, 0, 3, CARRIED_OVER),  # quorum, but no vote cast at all
        (2, 0, 0, CARRIED_OVER),  # two of five: no quorum
    ],
)
def test_majority_of_votes_cast_with_abstentions_left_out(approve, disapprove, abstain, expected):
    assert propose(approve, disapprove, abstain, 5, rules()).result == expected


def test_without_quorum_the_proposal_is_carried_over_and_approval_is_not_allowed():
    proposal = propose(2, 0, 0, 5, rules())
    assert not proposal.quorum_met
    assert proposal.allowed() == [CARRIED_OVER]
    assert "定足数に達していない" in proposal.why


def test_half_or_more_makes_a_quorum_of_an_even_council_with_exactly_half():
    assert not propose(2, 0, 0, 4, rules()).quorum_met
    assert propose(2, 0, 0, 4, rules(quorum=R.Quorum.HALF_OR_MORE)).quorum_met
    assert propose(1, 0, 0, 5, rules(quorum=R.Quorum.NONE)).result == APPROVED


def test_a_tie_is_the_chairs_to_break_and_allows_either_result():
    proposal = propose(2, 2, 0, 5, rules())
    assert proposal.tie and proposal.quorum_met
    assert set(proposal.allowed()) == {APPROVED, DISAPPROVED, CARRIED_OVER}
    assert "会長が決します" in proposal.why


def test_a_tie_without_the_casting_vote_is_not_approved():
    proposal = propose(2, 2, 0, 5, rules(chair_casting_vote=False))
    assert not proposal.tie
    assert proposal.result == DISAPPROVED
    assert proposal.allowed() == [DISAPPROVED, CARRIED_OVER]


def test_abstentions_counted_as_cast_weigh_against_approval():
    assert propose(2, 0, 1, 5, rules()).result == APPROVED
    counted = rules(abstain=R.Abstain.CAST)
    assert propose(2, 0, 1, 5, counted).result == APPROVED  # 2 of 3 cast
    assert propose(2, 1, 2, 5, counted).result == DISAPPROVED  # 2 of 5 cast
    assert propose(2, 0, 2, 5, counted).tie  # 2 for, 2 not for


def test_a_majority_of_the_members_needs_more_than_half_of_everyone():
    members = rules(majority=R.Majority.MEMBERS)
    assert propose(3, 0, 0, 5, members).result == APPROVED
    assert propose(2, 0, 1, 5, members).result == DISAPPROVED  # 2 of 5 members
    even = rules(majority=R.Majority.MEMBERS, quorum=R.Quorum.HALF_OR_MORE)
    assert propose(3, 0, 0, 6, even).result == DISAPPROVED  # 3 of 6 is not more than half
    assert propose(3, 3, 0, 6, even).tie


def test_the_chair_may_always_carry_over_but_never_turn_the_vote_around():
    proposal = propose(3, 1, 0, 5, rules())
    assert proposal.allowed() == [APPROVED, CARRIED_OVER]
    proposal = propose(1, 3, 0, 5, rules())
    assert proposal.allowed() == [DISAPPROVED, CARRIED_OVER]
