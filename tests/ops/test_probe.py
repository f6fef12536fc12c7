"""The containers' health checks (`manage.py probe web|beat`, docker-compose.yml) and beat's
own heartbeat: beat records each tick it sends, the probe tells a stale beat from a live one,
and the web probe asks /readyz with a host name the site accepts."""

from __future__ import annotations

import datetime as dt
import http.server
import threading

import pytest
import time_machine
from celery.signals import before_task_publish
from django.core.management import call_command

from circulation.models import Heartbeat
from portal import celery as kairan_celery
from portal.ops.heartbeats import record_beat_tick

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def probe(*args: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("probe", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def send_tick() -> None:
    before_task_publish.send(sender="circulation.tasks.run_due_work", headers={}, body=())


@pytest.mark.django_db
def test_beat_records_a_heartbeat_for_each_tick_it_sends(monkeypatch):
    monkeypatch.setitem(kairan_celery.BEAT_PROCESS, "running", True)

    with time_machine.travel(NOW, tick=False):
        send_tick()

    assert Heartbeat.objects.get(name="beat").at == NOW


@pytest.mark.django_db
def test_publishing_outside_beat_records_nothing():
    send_tick()  # the web server queueing mail, a worker re-queueing: not beat

    assert not Heartbeat.objects.filter(name="beat").exists()


@pytest.mark.django_db
def test_the_beat_probe_passes_while_beat_ticks_and_fails_when_it_stops():
    assert probe("beat")[0] == 1  # never ticked

    with time_machine.travel(NOW, tick=False):
        record_beat_tick()
    with time_machine.travel(NOW + dt.timedelta(seconds=60), tick=False):
        code, said = probe("beat")
    assert (code, said.strip()) == (0, "beat: last tick 60 s ago")

    with time_machine.travel(NOW + dt.timedelta(seconds=91), tick=False):
        code, said = probe("beat")
    assert code == 1
    assert "91 s ago (limit 90 s)" in said


class Readyz(http.server.BaseHTTPRequestHandler):
    status = 200
    hosts: list[str] = []

    def do_GET(self) -> None:
        Readyz.hosts.append(self.headers["Host"])
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_gunicorn():
    server = http.server.HTTPServer(("127.0.0.1", 0), Readyz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Readyz.hosts = []
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1)])
def test_the_web_probe_asks_readyz_as_the_site_and_follows_its_answer(
    fake_gunicorn, settings, monkeypatch, status, code
):
    settings.ALLOWED_HOSTS = [".city.example.jp", "kairan.city.example.jp"]
    monkeypatch.setattr(Readyz, "status", status)

    assert probe("web", "--port", str(fake_gunicorn))[0] == code
    assert Readyz.hosts == ["city.example.jp"]


def test_the_web_probe_fails_when_nothing_answers():
    with socket_closed() as port:
        code, said = probe("web", "--port", str(port), "--timeout", "2")

    assert code == 1
    assert "not answering" in said


def socket_closed():
    import contextlib
    import socket

    @contextlib.contextmanager
    def free():
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        yield port

    return free()
