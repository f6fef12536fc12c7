"""The record, its CSV and the decision page cost the same number of queries for 3
recipients as for 30."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circulation.models import Answer, Question
from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from tests.circulation.helpers import sent_circulation
from tests.decision.helpers import committee_with_members, reply

pytestmark = pytest.mark.django_db


def decided_circulation(council, size: int):
    committee, chair = committee_with_members(f"試験審議会{size}", size, council.secretariat)
    circulation = sent_circulation(dataclasses.replace(council, committee=committee))
    recipients = list(circulation.recipients.select_related("user"))
    for index, recipient in enumerate(recipients[:-1]):  # the last one does not reply
        if index % 2:
            reply(circulation, recipient.user, "opinion", f"意見{index}", meeting_needed=True)
        else:
            reply(circulation, recipient.user, "no_opinion")
    for recipient in recipients[:3]:
        question = Question.objects.create(
            circulation=circulation, asked_by=recipient.user, text="質問"
        )
        Answer.objects.create(question=question, text="回答", answered_by=council.secretariat)
    close_circulation(circulation.pk, now=circulation.deadline + dt.timedelta(seconds=1))
    decide(circulation.pk, convene=True, reason="理由", by=chair)
    return circulation, chair, recipients[0].user


def queries_for(client, user, url: str) -> int:
    client.force_login(user)
    client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    ("viewer", "url_name", "query"),
    [
        ("secretariat", "decision_record", ""),
        ("secretariat", "decision_record", "?masked=1"),
        ("member", "decision_record", ""),
        ("secretariat", "decision_record_csv", ""),
        ("member", "decision_record_csv", ""),
        ("chair", "circulation_decision", ""),
        ("secretariat", "circulation_decision", ""),
    ],
)
def test_the_same_number_of_queries_for_3_and_30_recipients(
    client, council, viewer, url_name, query
):
    counts = []
    for size in (3, 30):
        circulation, chair, member = decided_circulation(council, size)
        user = {"secretariat": council.secretariat, "chair": chair, "member": member}[viewer]
        counts.append(queries_for(client, user, reverse(url_name, args=[circulation.pk]) + query))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 25, counts  # most are the permission checks and the session
