"""Races on real PostgreSQL: two beat runs closing one consultation, two confirmations of
its written result (the chair in two tabs), two issues of its report, two beat runs
reminding of one rider, and a vote racing the close — each has exactly one effect."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from circulation.jobs.riders import queue_rider_reminders
from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    Decision,
    OutboxMessage,
    Rider,
)
from circulation.services.closing import close_circulation
from circulation.services.consultation_results import (
    RiderDraft,
    confirm_written_result,
    record_meeting_result,
)
from circulation.services.reports import issue_report
from portal.models import AuditEntry
from tests.consultations import helpers as h

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*work: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread and connection, released together; returns what
    each returned or raised."""
    barrier = threading.Barrier(len(work))
    outcomes: list[object] = [None] * len(work)

    def run(index: int, job: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcomes[index] = job()
        except Exception as exc:  # the losers' refusals are what is compared
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def voted(council, body) -> Circulation:
    circulation = h.sent(council, staff=[body], items=["クラウドサービスの利用"])
    for member in council.members:
        h.vote(circulation, member, "approve")
    return circulation


def test_two_closes_at_once_close_once_and_send_one_summary_each(council, body):
    circulation = voted(council, body)
    moment = circulation.deadline + dt.timedelta(seconds=1)
    outcomes = at_once(
        lambda: close_circulation(circulation.pk, now=moment),
        lambda: close_circulation(circulation.pk, now=moment),
    )
    assert sorted(outcomes) == [False, True]
    summaries = OutboxMessage.objects.filter(purpose="circulation.closing_summary")
    assert summaries.filter(to_user=council.chair).count() == 1
    assert AuditEntry.objects.filter(action="circulation.closed").count() == 1


def test_two_confirmations_at_once_decide_once(council, body):
    circulation = h.closed(voted(council, body))
    item = ConsultationItem.objects.get(consultation_id=circulation.pk)

    def confirm(result: str, rider: str) -> object:
        return confirm_written_result(
            circulation.pk, by=council.chair, results={item.pk: result},
            riders=[RiderDraft(rider)], reasons=rider,
        )  # fmt: skip

    outcomes = at_once(
        lambda: confirm("approved", "一つ目の付言"), lambda: confirm("carried_over", "二つ目の付言")
    )
    winners = [o for o in outcomes if isinstance(o, Consultation)]
    assert len(winners) == 1
    loser = next(o for o in outcomes if not isinstance(o, Consultation))
    assert getattr(loser, "code", None) == "decided"
    assert Decision.objects.filter(circulation=circulation).count() == 1
    assert Rider.objects.filter(consultation_id=circulation.pk).count() == 1
    won = Consultation.objects.get(pk=circulation.pk)
    expected = "approved" if won.council_reasons == "一つ目の付言" else "carried_over"
    assert ConsultationItem.objects.get(pk=item.pk).result == expected
    assert (
        OutboxMessage.objects.filter(
            purpose="consultation.result", to_user=council.members[0]
        ).count()
        == 1
    )


def test_two_issues_of_one_report_issue_it_once(council, body):
    circulation = h.register(council, staff=[body], items=["保育業務支援システムの利用"])
    item = ConsultationItem.objects.get(consultation_id=circulation.pk)
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"}, riders=[],
        reasons="x",
    )  # fmt: skip
    version = Consultation.objects.get(pk=circulation.pk).report_version

    def issue() -> object:
        return issue_report(
            circulation.pk, by=council.secretariat, report_date=dt.date(2026, 10, 1),
            version=version,
        )  # fmt: skip

    outcomes = at_once(issue, issue)
    assert sum(isinstance(o, Consultation) for o in outcomes) == 1
    assert OutboxMessage.objects.filter(purpose="consultation.report", to_user=body).count() == 1
    assert AuditEntry.objects.filter(action="consultation.report.issued").count() == 1


def test_two_beat_runs_remind_of_a_rider_once(council, body):
    circulation = h.register(council, staff=[body], items=["保育業務支援システムの利用"])
    item = ConsultationItem.objects.get(consultation_id=circulation.pk)
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"},
        riders=[RiderDraft("周知すること。")], reasons="x",
    )  # fmt: skip
    consultation = issue_report(
        circulation.pk, by=council.secretariat, report_date=dt.date(2026, 10, 1),
        version=Consultation.objects.get(pk=circulation.pk).report_version,
    )  # fmt: skip
    later = consultation.issued_at + dt.timedelta(days=200)
    outcomes = at_once(lambda: queue_rider_reminders(later), lambda: queue_rider_reminders(later))
    assert sorted(len(o) for o in outcomes) == [0, 1]
    assert (
        OutboxMessage.objects.filter(purpose="consultation.rider_reminder", to_user=body).count()
        == 1
    )


def test_a_vote_racing_the_close_is_either_counted_or_refused_never_lost(council, body):
    circulation = h.sent(council, staff=[body], items=["クラウドサービスの利用"])
    moment = circulation.deadline - dt.timedelta(seconds=1)
    Circulation.objects.filter(pk=circulation.pk).update(deadline=moment)
    after = moment + dt.timedelta(seconds=1)
    outcomes = at_once(
        lambda: close_circulation(circulation.pk, now=after),
        lambda: h.vote(circulation, council.members[0], "approve", now=moment),
    )
    assert outcomes[0] is True
    vote = outcomes[1]
    refused = AuditEntry.objects.filter(action="circulation.reply.refused").exists()
    assert refused != (getattr(vote, "pk", None) is not None), outcomes
