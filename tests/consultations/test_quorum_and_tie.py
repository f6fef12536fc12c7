"""The chair's page when the written vote does not settle itself: quorum not reached (the
page says why; 承認 is refused; the vote is extended, or the council deliberates at a
meeting instead), a tie broken by the chair's casting vote, and the acting chair deciding
while the chair is marked absent. Two confirmations: one effect."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.jobs.due import run_due_work
from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    Decision,
    OutboxMessage,
    Reply,
)
from circulation.services.consultation_results import ResultRefused, confirm_written_result
from portal.models import AuditEntry, Committee
from tests.consultations import helpers as h

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def result_url(circulation: Circulation) -> str:
    return reverse("consultation_result", args=[circulation.pk])


def test_without_quorum_approval_is_refused_and_the_page_offers_extend_or_convene(
    client, council, body, time_machine
):
    circulation = h.sent(council, staff=[body], items=["クラウドサービスの利用"])
    h.vote(circulation, council.members[0], "approve")
    h.vote(circulation, council.members[1], "approve")  # two of five: no quorum
    circulation = h.closed(circulation)
    client.force_login(council.chair)
    page = text(client.get(result_url(circulation)))
    assert "定足数に達していない議題があります" in page
    assert "書面による議事では「承認」にできません" in page
    assert "規則による結果: 継続審議" in page
    assert 'value="approved"' not in page  # only 継続審議 is offered
    assert "期限を延長" in page and "開催する" in page
    item = h.items_of(circulation)[0]
    response = client.post(result_url(circulation), {f"item_{item.pk}": "approved", "reasons": "x"})
    assert response.status_code == 400
    assert "定足数に達していないため" in text(response)
    assert not Decision.objects.filter(circulation=circulation).exists()
    with pytest.raises(Exception, match="定足数"):  # the service says the same on its own
        confirm_written_result(
            circulation.pk, by=council.chair, results={item.pk: "approved"}, riders=[],
            reasons="x",
        )  # fmt: skip

    # The chair extends: the vote opens again, members are told, votes so far are kept.
    new_deadline = (circulation.deadline + dt.timedelta(days=7)).astimezone(dt.UTC)
    response = client.post(
        reverse("consultation_reopen", args=[circulation.pk]),
        {
            "deadline_date": new_deadline.astimezone(h_jst()).date().isoformat(),
            "deadline_time": "17:00",
            "reason": "定足数に達しなかったため",
        },
    )
    assert response.status_code == 302, text(response)
    circulation = Circulation.objects.select_related("committee").get(pk=circulation.pk)
    assert circulation.state == Circulation.State.OPEN
    assert circulation.deadline_version == 2
    extended = OutboxMessage.objects.filter(purpose="circulation.deadline_extended")
    assert extended.filter(to_user=council.members[2]).exists()
    assert h.receipt(circulation, council.members[0]).current_reply is not None
    # The third vote comes; beat closes it again; the chair now confirms 承認.
    h.vote(circulation, council.members[2], "approve")
    time_machine.move_to(circulation.deadline + dt.timedelta(seconds=30))
    assert circulation.pk in run_due_work().closed
    assert (
        OutboxMessage.objects.filter(
            purpose="circulation.closing_summary", to_user=council.chair
        ).count()
        == 2  # one per deadline version
    )
    client.force_login(council.chair)  # a week later: the session had ended
    response = client.post(result_url(circulation), {f"item_{item.pk}": "approved", "reasons": "x"})
    assert response.status_code == 302
    assert ConsultationItem.objects.get(pk=item.pk).result == "approved"


def h_jst() -> dt.tzinfo:
    return dt.timezone(dt.timedelta(hours=9))


def test_without_quorum_the_chair_may_deliberate_at_a_meeting_instead(client, council, body):
    circulation = h.closed(h.sent(council, staff=[body]))
    client.force_login(council.chair)
    response = client.post(
        reverse("consultation_convene", args=[circulation.pk]),
        {"reason": "定足数に達しなかったため、会議で審議します。"},
    )
    assert response.status_code == 302
    decision = Decision.objects.get(circulation=circulation)
    assert decision.convene
    assert Circulation.objects.get(pk=circulation.pk).state == Circulation.State.DECIDED
    assert OutboxMessage.objects.filter(
        purpose="circulation.decision", to_user=council.members[0]
    ).exists()
    page = text(client.get(result_url(circulation)))
    assert "会議で審議します" in page


def test_a_tie_is_broken_by_the_chairs_casting_vote(client, council, body):
    circulation = h.sent(council, staff=[body], items=["クラウドサービスの利用"])
    h.vote(circulation, council.members[0], "approve")
    h.vote(circulation, council.members[1], "approve")
    h.vote(circulation, council.members[2], "disapprove")
    h.vote(circulation, council.acting_chair, "disapprove")
    circulation = h.closed(circulation)
    client.force_login(council.chair)
    page = text(client.get(result_url(circulation)))
    assert "可否同数" in page and "会長が決します" in page
    item = h.items_of(circulation)[0]
    response = client.post(
        result_url(circulation), {f"item_{item.pk}": "approved", "reasons": "会長の裁決による。"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.result == "approved" and item.casting_vote == "approve"
    entry = AuditEntry.objects.get(action="consultation.result.confirmed")
    assert entry.data["tie_broken"] == [1]
    record = text(client.get(reverse("consultation_record", args=[circulation.pk])))
    assert "可否同数のため会長の裁決" in record


def test_the_acting_chair_confirms_while_the_chair_is_marked_absent(client, council, body):
    Committee.objects.filter(pk=council.committee.pk).update(chair_absent=True)
    circulation = h.sent(council, staff=[body], items=["クラウドサービスの利用"])
    for member in council.members:
        h.vote(circulation, member, "approve")
    circulation = h.closed(circulation)
    summary = OutboxMessage.objects.get(
        purpose="circulation.closing_summary", to_user=council.acting_chair
    )
    assert "結果の確定をお願いします" in summary.subject
    item = h.items_of(circulation)[0]
    client.force_login(council.chair)  # not the decider today
    response = client.post(result_url(circulation), {f"item_{item.pk}": "approved", "reasons": "x"})
    assert response.status_code == 403
    client.force_login(council.acting_chair)
    response = client.post(result_url(circulation), {f"item_{item.pk}": "approved", "reasons": "x"})
    assert response.status_code == 302
    consultation = Consultation.objects.get(pk=circulation.pk)
    assert consultation.decided_by == council.acting_chair
    assert consultation.decided_as == "acting_chair"


def test_a_second_confirmation_changes_nothing_and_is_logged(council, body):
    circulation = h.sent(council, staff=[body], items=["クラウドサービスの利用"])
    for member in council.members:
        h.vote(circulation, member, "approve")
    circulation = h.closed(circulation)
    item = h.items_of(circulation)[0]
    confirm_written_result(
        circulation.pk, by=council.chair, results={item.pk: "approved"}, riders=[], reasons="x"
    )
    with pytest.raises(ResultRefused) as refused:
        confirm_written_result(
            circulation.pk, by=council.chair, results={item.pk: "carried_over"}, riders=[],
            reasons="y",
        )  # fmt: skip
    assert refused.value.code == "decided"
    assert ConsultationItem.objects.get(pk=item.pk).result == "approved"
    assert Decision.objects.filter(circulation=circulation).count() == 1
    assert AuditEntry.objects.filter(action="consultation.result.refused").exists()


def test_a_member_sees_the_result_but_not_the_chairs_page(client, council, body):
    circulation = h.sent(council, staff=[body], items=["クラウドサービスの利用"])
    for member in council.members:
        h.vote(circulation, member, "approve")
    circulation = h.closed(circulation)
    item = h.items_of(circulation)[0]
    confirm_written_result(
        circulation.pk, by=council.chair, results={item.pk: "approved"}, riders=[], reasons="x"
    )
    client.force_login(council.members[0])
    assert client.get(result_url(circulation)).status_code == 403
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "結果: 承認" in page
    record = text(client.get(reverse("consultation_record", args=[circulation.pk])))
    assert "田中 委員" not in record  # names are masked for members (the council's setting)
    assert Reply.objects.filter(kind=Reply.Kind.VOTE).count() == 3
