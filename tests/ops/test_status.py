"""The site staff's status page (運用状況) and its metrics for Prometheus: the mail queue,
held mail, beat and the workers, for site staff only; and the logs as JSON lines, with the
request's ids and the outbox row a delivery line is about, and no mail address."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
import time_machine
from django.urls import reverse

from circulation.models import InboundMessage, OutboxMessage
from circulation.models.heartbeat import record_heartbeat
from portal.models import AuditEntry
from portal.ops import logs
from portal.ops.heartbeats import record_beat_tick
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
TOKEN = "t" * 40


@pytest.fixture
def staff(db):
    return UserFactory(email="unyou@city.example.jp", full_name="運用 担当", is_staff=True)


@pytest.fixture
def busy_site(db):
    """Two mails waiting (the oldest 20 minutes), one failed, one sent; two held replies and
    one not yet processed; beat ticked 10 s ago, the workers ran the due work 25 s ago."""
    with time_machine.travel(NOW, tick=False):
        for n, (state, age) in enumerate(
            [("queued", 20), ("queued", 1), ("failed", 60), ("sent", 90)]
        ):
            OutboxMessage.objects.create(
                purpose="circulation.notice", to_email=f"m{n}@example.jp", key=str(n),
                subject="件名", body_text="本文", state=state,
                created_at=NOW - dt.timedelta(minutes=age),
            )  # fmt: skip
        for n, state in enumerate(["held", "unmatched", "received", "recorded"]):
            InboundMessage.objects.create(raw=b"x", sha256=str(n) * 64, source="mta", state=state)
        record_beat_tick(NOW - dt.timedelta(seconds=10))
        record_heartbeat("due_work", NOW - dt.timedelta(seconds=25))


def test_site_staff_see_the_mail_queue_held_mail_beat_and_the_workers(client, staff, busy_site):
    client.force_login(staff)

    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("ops_status")).content.decode()

    assert "運用状況" in page
    rows = {
        "送信待ち": "2", "送信失敗": "1", "保留中(事務局の確認待ち)": "2", "未処理": "1",
    }  # fmt: skip
    for label, value in rows.items():
        assert f'<th scope="row">{label}</th><td>{value}</td>' in page, label
    assert "2026-06-01 11:40:00(20" in page  # the oldest waiting, in Japan time
    assert "2026-06-01 11:59:50" in page  # beat's last tick
    assert "2026-06-01 11:59:35" in page  # the workers' last due work
    assert "m0@example.jp" not in page  # figures, never whom the mail is for


def test_prometheus_reads_the_same_figures_with_its_token(client, settings, busy_site):
    settings.KAIRAN_METRICS_TOKEN = TOKEN

    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("ops_metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    lines = response.content.decode().splitlines()
    for line in (
        'kairan_outbox_messages{state="queued"} 2',
        'kairan_outbox_messages{state="failed"} 1',
        "kairan_outbox_oldest_waiting_seconds 1200",
        "kairan_inbound_held_messages 2",
        "kairan_inbound_unprocessed_messages 1",
        f'kairan_heartbeat_timestamp_seconds{{job="beat"}} {NOW.timestamp() - 10:.3f}',
        'kairan_heartbeat_timestamp_seconds{job="sweep"} NaN',
    ):
        assert line in lines, line


def test_site_staff_read_the_metrics_signed_in(client, staff):
    client.force_login(staff)

    assert client.get(reverse("ops_metrics")).status_code == 200


@pytest.mark.parametrize("name", ["ops_status", "ops_metrics"])
def test_a_councils_secretariat_is_not_site_staff_and_gets_a_logged_404(client, council, name):
    client.force_login(council.secretariat)

    response = client.get(reverse(name))

    assert response.status_code == 404
    refusal = AuditEntry.objects.get(action="access.refused", actor=council.secretariat)
    assert refusal.data["permission"] == "view_site_status"


@pytest.mark.parametrize("name", ["ops_status", "ops_metrics"])
def test_nobody_signed_in_is_sent_to_the_login_page(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_wrong_or_absent_metrics_token_reads_nothing(client, settings):
    settings.KAIRAN_METRICS_TOKEN = TOKEN

    wrong = client.get(reverse("ops_metrics"), HTTP_AUTHORIZATION="Bearer " + "x" * 40)

    assert wrong.status_code == 404
    settings.KAIRAN_METRICS_TOKEN = ""
    empty = client.get(reverse("ops_metrics"), HTTP_AUTHORIZATION="Bearer ")
    assert empty.status_code == 404


def test_a_deactivated_staff_account_sees_nothing(client, staff):
    client.force_login(staff)
    staff.is_active = False
    staff.save(update_fields=["is_active"])

    assert client.get(reverse("ops_status")).status_code in (302, 404)


# --- JSON logs ----------------------------------------------------------------------------


@pytest.fixture
def json_lines():
    """The root logger's lines as LOG_FORMAT=json writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_requests_lines_carry_its_id_the_users_id_and_the_councils_id(
    client, council, json_lines, monkeypatch
):
    from portal import views

    real = views.render

    def render_and_log(request, *args, **kwargs):
        logging.getLogger("portal.views").warning("rendering for %s", request.user.email)
        return real(request, *args, **kwargs)

    monkeypatch.setattr(views, "render", render_and_log)
    client.force_login(council.secretariat)

    response = client.get(
        reverse("committee_detail", args=[council.committee.pk]), HTTP_X_REQUEST_ID="req-12345678"
    )

    assert response["X-Request-ID"] == "req-12345678"
    (line,) = [line for line in json_lines() if line["logger"] == "portal.views"]
    assert line["request_id"] == "req-12345678"
    assert line["user_id"] == council.secretariat.pk
    assert line["committee_id"] == council.committee.pk
    assert line["message"] == "rendering for [address]"  # no mail address in the logs
    assert line["level"] == "WARNING"


def test_a_request_without_an_id_gets_a_new_one_and_a_malformed_one_is_replaced(client):
    plain = client.get("/healthz")
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="<script>\nfake log line")

    assert len(plain["X-Request-ID"]) == 32
    assert forged["X-Request-ID"] != "<script>\nfake log line"


def test_the_workers_delivery_lines_name_the_outbox_row_and_no_address(json_lines, settings):
    import smtplib

    from circulation.mail.delivery import deliver
    from tests.mail_engine.backends import ScriptedBackend

    settings.EMAIL_BACKEND = "tests.mail_engine.backends.ScriptedBackend"
    ScriptedBackend.reset()
    ScriptedBackend.per_address = {
        "tanaka@example.jp": smtplib.SMTPRecipientsRefused(
            {"tanaka@example.jp": (550, b"5.1.1 <tanaka@example.jp> unknown")}
        )
    }
    message = OutboxMessage.objects.create(
        purpose="circulation.notice", to_email="tanaka@example.jp", subject="件名",
        body_text="本文",
    )  # fmt: skip

    deliver(message.pk)

    lines = [line for line in json_lines() if line["logger"] == "circulation.mail.delivery"]
    assert lines, "the delivery logged its outcome"
    assert {line["outbox_id"] for line in lines} == {message.pk}
    assert not any("tanaka" in json.dumps(line) for line in lines)


@pytest.fixture
def tick_loggers_at_info():
    before = {name: logging.getLogger(name).level for name in logs.TICK_LOGGERS}
    for name in before:
        logging.getLogger(name).setLevel(logging.INFO)
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def test_beats_and_the_workers_routine_ticks_are_debug_lines(tick_loggers_at_info):
    quiet = logs.QuietTicks()

    def record(name: str, message: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)

    tick = record("celery.beat", "Scheduler: Sending due task %s (%s)", "due-work",
                  "circulation.tasks.run_due_work")  # fmt: skip
    done = record("celery.app.trace", "Task %(name)s[%(id)s] succeeded",
                  {"name": "circulation.tasks.sweep_outbox", "id": "1"})  # fmt: skip
    mail = record("celery.app.trace", "Task %(name)s[%(id)s] succeeded",
                  {"name": "circulation.tasks.deliver_outbox_batch", "id": "2"})  # fmt: skip
    ready = record("celery.apps.worker", "%s ready.", "celery@host")

    assert not quiet.filter(tick)
    assert tick.levelname == "DEBUG"
    assert not quiet.filter(done)
    assert quiet.filter(mail)  # real work stays at INFO
    assert quiet.filter(ready)
    # With LOG_LEVEL=DEBUG every tick is shown.
    logging.getLogger("celery.beat").setLevel(logging.DEBUG)
    assert quiet.filter(record("celery.beat", "Scheduler: Sending due task %s", "outbox-sweep"))
