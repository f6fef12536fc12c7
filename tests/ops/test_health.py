"""/healthz and /readyz as a load balancer, a container's health check or a monitoring system
asks them: no login, JSON, 200 or 503, and nothing in the answer but each check's name and
"ok" or "fail". Each way of not being ready is shown failing on its own."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.db import OperationalError, connections
from django.utils import timezone
from kombu import Connection

from circulation.models import OutboxMessage
from circulation.models.heartbeat import record_heartbeat
from portal.health import checks

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
CHECKS = {"database", "cache", "broker", "beat", "mail_queue"}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def beat_ran(frozen):
    record_heartbeat("due_work", NOW - dt.timedelta(seconds=20))


def ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def failed(answer: dict) -> set[str]:
    return {name for name, value in answer["checks"].items() if value == "fail"}


def queue_mail(created_at: dt.datetime, state: str = OutboxMessage.State.QUEUED) -> None:
    OutboxMessage.objects.create(
        purpose="account.login_code",
        key=f"{state}-{created_at.isoformat()}",
        to_email="tanaka@example.jp",
        subject="件名",
        body_text="本文",
        state=state,
        created_at=created_at,
        next_attempt_at=created_at,
    )


def test_healthz_answers_without_login_and_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_readyz_is_ready_when_everything_answers(client, beat_ran):
    queue_mail(NOW - dt.timedelta(minutes=1))  # mail on its way, not late

    status, answer = ready(client)

    assert status == 200
    assert answer == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok")}


def test_readyz_fails_when_the_database_does_not_answer(client, beat_ran, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db.secret.example" failed: refused')

    monkeypatch.setattr(type(connections["default"]), "temporary_connection", refuse)

    status, answer = ready(client)

    assert status == 503
    assert answer["status"] == "fail"
    assert "database" in failed(answer)


def test_readyz_fails_when_the_broker_cannot_be_reached(client, beat_ran, monkeypatch):
    # Nothing listens on port 1: the broker is down.
    monkeypatch.setattr(
        checks,
        "broker_connection",
        lambda: Connection("redis://127.0.0.1:1/0", connect_timeout=0.5),
    )

    status, answer = ready(client)

    assert status == 503
    assert failed(answer) == {"broker"}


def test_readyz_fails_when_beat_has_never_run(client, frozen):
    status, answer = ready(client)

    assert status == 503
    assert failed(answer) == {"beat"}


def test_readyz_fails_when_beats_heartbeat_is_stale(client, frozen, settings):
    record_heartbeat("due_work", NOW - dt.timedelta(seconds=settings.KAIRAN_BEAT_STALE_SECONDS + 1))

    status, answer = ready(client)

    assert status == 503
    assert failed(answer) == {"beat"}


def test_readyz_fails_when_the_oldest_queued_mail_is_too_old(client, beat_ran, settings):
    limit = dt.timedelta(seconds=settings.KAIRAN_READY_MAIL_QUEUE_SECONDS)
    queue_mail(NOW - limit - dt.timedelta(seconds=1))

    status, answer = ready(client)

    assert status == 503
    assert failed(answer) == {"mail_queue"}


def test_old_mail_that_was_sent_or_failed_does_not_count(client, beat_ran):
    for state in (OutboxMessage.State.SENT, OutboxMessage.State.FAILED):
        queue_mail(NOW - dt.timedelta(days=3), state=state)

    status, _ = ready(client)

    assert status == 200


def test_the_answer_reveals_nothing_but_names_and_ok_or_fail(client, beat_ran, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db.secret.example" failed: refused')

    monkeypatch.setattr(type(connections["default"]), "temporary_connection", refuse)
    queue_mail(timezone.now() - dt.timedelta(days=1))

    # Whatever format is asked for, the answer is the same JSON.
    for query in ("", "?format=text", "?format=atom", "?format=openmetrics"):
        response = client.get("/readyz" + query, HTTP_ACCEPT="text/html")
        answer = json.loads(response.content)
        assert set(answer) == {"status", "checks"}
        assert set(answer["checks"]) == CHECKS
        assert set(answer["checks"].values()) <= {"ok", "fail"}
        assert b"secret" not in response.content
        assert b"tanaka" not in response.content


def test_the_probes_answer_plain_http_when_https_is_enforced(client, beat_ran, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/privacy/").status_code == 301  # every other page moves to https
