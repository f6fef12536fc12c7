"""田中's home page with every kind of thing a member is asked to do: a reply awaited, a vote
on a consultation (諮問), minutes to check, a session to answer (also listed among the
meetings), a meeting convened on a circulation, and a circulation already replied to. The
page shows each of them, and costs the same statements with two of each as with one: the
home page's reads take only the columns they show, and a column left out would cost a
statement per item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.models import Circulation, Meeting, Recipient
from circulation.models.meeting import MeetingDetails
from circulation.reads.minutes import MinutesContent
from circulation.services.meetings import schedule_meeting
from circulation.services.minutes_drafts import (
    revise_minutes,
    send_for_check,
    start_session_minutes,
)
from circulation.services.sessions import schedule_session
from tests.conftest import Council
from tests.consultations.helpers import sent as sent_consultation
from tests.factories import CirculationFactory, RecipientFactory, ReplyFactory
from tests.meetings.helpers import convened_scene, details
from tests.performance.budgets import describe, statements_of
from tests.performance.test_query_budgets import MEMBER_PAGE_BUDGET
from tests.records.scenes import held_session, written_minutes

pytestmark = pytest.mark.django_db


def _one_of_each(council: Council, n: int) -> list[str]:
    """The n-th round of things to do for 田中; returns the titles the home page must show."""
    tanaka, secretariat = council.members[0], council.secretariat
    now = timezone.now()
    awaited = CirculationFactory(
        committee=council.committee,
        title=f"返信を待つ書面照会 {n}",
        state=Circulation.State.OPEN,
        deadline=now + dt.timedelta(days=3 + n),
    )
    RecipientFactory(circulation=awaited, user=tanaka)
    answered = CirculationFactory(
        committee=council.committee,
        title=f"回答済みの書面照会 {n}",
        state=Circulation.State.OPEN,
        deadline=now + dt.timedelta(days=5 + n),
    )
    receipt = RecipientFactory(circulation=answered, user=tanaka)
    Recipient.objects.filter(pk=receipt.pk).update(current_reply=ReplyFactory(recipient=receipt))

    held = held_session(council, days_ago=n)
    minutes = start_session_minutes(held.pk, by=secretariat)
    latest = minutes.versions.get(number=minutes.latest_version)
    content = written_minutes(MinutesContent.of(latest))
    checked_title = f"会議録 {n}"
    content = MinutesContent(**{**content.__dict__, "title": checked_title})
    revise_minutes(minutes.pk, by=secretariat, content=content, base_version=latest.number)
    send_for_check(
        minutes.pk, by=secretariat, deadline=now + dt.timedelta(days=7), checker_ids=[tanaka.pk]
    )

    starts = now + dt.timedelta(days=10 + n)
    session: Meeting = schedule_session(
        council.committee.pk,
        by=secretariat,
        details=MeetingDetails(
            starts_at=starts, ends_at=starts + dt.timedelta(hours=2), place=f"第{n}会議室"
        ),
        number=10 + n,
        title="定例会",
    )
    vote = sent_consultation(council, staff=[], number=60 + n, title=f"諮問の案件 {n}")

    convened = convened_scene(council)
    schedule_meeting(
        convened.circulation.pk,
        by=secretariat,
        details=details(convened, starts_at=convened.starts_at + dt.timedelta(days=n),
                        ends_at=convened.ends_at + dt.timedelta(days=n)),
    )  # fmt: skip
    return [awaited.title, answered.title, checked_title, session.label, vote.title,
            convened.circulation.title]  # fmt: skip


def _home(client: Client) -> tuple[str, list[str]]:
    response = None

    def visit() -> None:
        nonlocal response
        response = client.get(reverse("home"))

    statements = statements_of(visit)
    assert response is not None and response.status_code == 200
    return response.content.decode(), statements


def test_every_kind_of_item_is_shown_at_the_same_cost_for_one_or_two_of_each(council):
    client = Client()
    client.force_login(council.members[0])
    first = _one_of_each(council, 1)
    client.get(reverse("home"))  # warms the session and Django's caches
    page, one_each = _home(client)
    for title in first:
        assert title in page, title

    second = _one_of_each(council, 2)
    page, two_each = _home(client)
    for title in first + second:
        assert title in page, title
    assert len(two_each) == len(one_each), describe(two_each)
    assert len(two_each) <= MEMBER_PAGE_BUDGET, describe(two_each)
