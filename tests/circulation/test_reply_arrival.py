"""Replies at the deadline are judged by when they reached the portal, not by when a busy
server got round to them (issue 16): 田中 presses 回答を送信 one second before 17:00, the
server is slow, and the reply service runs after 17:00 — it is accepted, recorded as sent at
16:59:59. The grace is bounded (KAIRAN_REPLY_GRACE_SECONDS), and a reply that arrives at or
after the deadline is refused exactly as before.

The test holds the request between its arrival (portal.middleware.ArrivalMiddleware, first
of all middleware) and the reply service, moving the frozen clock across the deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from circulation.models import Reply
from circulation.views import member as member_views
from portal.models import AuditEntry
from tests.circulation.test_member_web import DEADLINE, reply_url, sent
from tests.circulation.web import reply_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def held(monkeypatch, clock):
    """Hold each reply between arrival and the service until the given moment."""
    until: list[dt.datetime] = []
    service = member_views.submit_reply

    def slow_server(**arguments):
        if until:
            clock.move_to(until[0])
        return service(**arguments)

    monkeypatch.setattr(member_views, "submit_reply", slow_server)
    return until


def post_reply(client, council, clock, held, arrives: dt.datetime, served: dt.datetime):
    """田中's reply reaches the portal at `arrives`; the service runs at `served`."""
    circulation = sent(council)
    clock.move_to(arrives)
    client.force_login(council.members[0])
    held[:] = [served]
    response = client.post(reply_url(circulation), reply_data("opinion", "原案に賛成します。"))
    return circulation, response


def test_a_reply_that_arrived_before_the_deadline_counts_though_served_after_it(
    client, council, clock, held, settings
):
    settings.KAIRAN_REPLY_GRACE_SECONDS = 30
    circulation, response = post_reply(
        client, council, clock, held, DEADLINE - SECOND, DEADLINE + 2 * SECOND
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reply = Reply.objects.get(recipient__circulation=circulation)
    assert reply.opinion == "原案に賛成します。"
    assert reply.submitted_at == DEADLINE - SECOND  # when it reached the portal
    assert not AuditEntry.objects.filter(action="circulation.reply.refused").exists()


def test_the_grace_is_bounded(client, council, clock, held, settings):
    """Held longer than the grace, the request is judged at (service time − grace), which
    is the deadline itself here: refused, with the typed text shown back."""
    settings.KAIRAN_REPLY_GRACE_SECONDS = 30
    _circulation, response = post_reply(
        client, council, clock, held, DEADLINE - SECOND, DEADLINE + 30 * SECOND
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "回答期限" in body and "原案に賛成します。" in body
    assert not Reply.objects.exists()
    assert AuditEntry.objects.filter(action="circulation.reply.refused").count() == 1


@pytest.mark.parametrize("late", [dt.timedelta(0), dt.timedelta(milliseconds=1), SECOND])
def test_a_reply_that_arrives_at_or_after_the_deadline_is_refused_exactly(
    client, council, clock, held, late
):
    """Even served at once, while closing still waits for the grace: the circulation is
    open, but the reply arrived too late."""
    _circulation, response = post_reply(
        client, council, clock, held, DEADLINE + late, DEADLINE + late
    )
    assert response.status_code == 200
    assert "回答期限" in response.content.decode()
    assert not Reply.objects.exists()


def test_without_a_grace_the_service_time_decides(client, council, clock, held, settings):
    settings.KAIRAN_REPLY_GRACE_SECONDS = 0
    _circulation, response = post_reply(
        client, council, clock, held, DEADLINE - SECOND, DEADLINE + SECOND
    )
    assert response.status_code == 200
    assert not Reply.objects.exists()
