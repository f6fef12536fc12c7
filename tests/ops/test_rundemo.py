"""`make demo` for real: `manage.py rundemo` starts gunicorn, a Celery worker and Celery beat
on the embedded defaults (SQLite, the filesystem broker, mail as .eml files) in a fresh
folder; the portal answers in Japanese, beat's work reaches the worker, mail is delivered and
readable, and Ctrl-C leaves no process behind. Needs no server, so it always runs."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ops.processes import alive, in_sessions, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NAMES = {"web": "web server (gunicorn)", "worker": "Celery worker", "beat": "Celery beat"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_env(var_dir: Path) -> dict[str, str]:
    # Only what a newcomer's shell has, plus what `make demo` sets: no DATABASE_URL or
    # REDIS_URL from CI, no KAIRAN_TESTING.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(
        KAIRAN_DEMO="1",
        KAIRAN_VAR_DIR=str(var_dir),
        KAIRAN_DUE_WORK_SECONDS="1",  # beat sends its due-work task every second
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    return env


def get(url: str) -> str:
    # Generous: the first request warms a freshly booted gunicorn worker on a busy machine.
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass
class Demo:
    var_dir: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes]
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_served(self) -> None:
        wait_for(
            lambda: f"Kairan demo: {self.url}/" in self.output() or self.process.poll() is not None,
            150,  # migrate, the demo data and collectstatic on a busy 2-core machine
            "the demo to print its URL",
        )
        assert self.process.poll() is None, self.output()
        for key, name in NAMES.items():
            found = re.search(rf"started {re.escape(name)} \(pid (\d+)\)", self.output())
            assert found, self.output()
            self.pids[key] = int(found.group(1))

    def everything(self) -> list[int]:
        """The children and everything they started (each child leads its own session)."""
        return in_sessions(self.pids.values())

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = 30) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def start_demo(tmp_path) -> Iterator:
    started: list[Demo] = []

    def start(var_dir: Path | None = None) -> Demo:
        var_dir = var_dir or tmp_path / "var"
        log = tmp_path / f"rundemo-{len(started)}.log"
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "rundemo", "--port", str(port)],
                cwd=ROOT,
                env=demo_env(var_dir),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        demo = Demo(var_dir=var_dir, port=port, log=log, process=process)
        started.append(demo)
        return demo

    yield start
    for demo in started:  # a failed test must not leave a demo running
        if demo.process.poll() is None:
            demo.process.kill()
            demo.process.wait()
        for pid in demo.everything():
            os.kill(pid, signal.SIGKILL)


def test_make_demo_runs_the_whole_portal_and_ctrl_c_stops_all_of_it(start_demo):
    demo = start_demo()
    demo.wait_until_served()

    # The login page, in Japanese, with its stylesheet served by whitenoise (DEBUG is off).
    login = get(f"{demo.url}/accounts/login/")
    assert '<html lang="ja">' in login
    assert "ログイン" in login
    stylesheet = re.search(r'href="(/static/css/kairan\.[0-9a-f]+\.css)"', login)
    assert stylesheet, "static files are collected with hashed names"
    assert "--accent" in get(demo.url + stylesheet.group(1))

    # Every process runs; gunicorn's master has its workers in its process group.
    assert all(alive(pid) for pid in demo.pids.values())
    assert len(in_sessions([demo.pids["web"]])) >= 3

    # Beat keeps its schedule under var/ and its due-work task reaches the worker: the
    # portal becomes ready (/readyz: database, cache, broker, beat's due work, mail queue).
    wait_for(lambda: list(demo.var_dir.glob("celerybeat-schedule*")), 60, "beat's schedule")
    wait_for(lambda: status_of(f"{demo.url}/readyz") == 200, 60, "the due work to run")
    # ... and says so at DEBUG only: the terminal keeps what matters (the logins above).
    assert "Sending due task" not in demo.output()
    assert not re.search(r"run_due_work\[[0-9a-f-]+\] (received|succeeded)", demo.output())

    # The demo's own mail links to the demo's real address, whatever its port.
    seeded = "\n".join(path.read_text(errors="replace") for path in demo.var_dir.glob("mail/*.eml"))
    wait_for(
        lambda: (
            f"{demo.url}/c/"
            in "".join(path.read_text(errors="replace") for path in demo.var_dir.glob("mail/*.eml"))
        ),
        60,
        "the demo's notices, linking to its port",
    )
    if demo.port != 8000:
        assert "127.0.0.1:8000" not in seeded

    # The logins again, on a page of the demo.
    logins = get(f"{demo.url}/demo/")
    assert "kairan-demo-2026" in logins and "mihon.hanako@city.example.jp" in logins

    # Mail queued in the outbox (as any service does) is delivered by the worker through
    # the filesystem broker, and can be read at /demo/mail/.
    subject = f"動作確認 {uuid.uuid4().hex[:8]}"
    manage(
        demo_env(demo.var_dir),
        "shell",
        "-c",
        "from django.db import transaction\n"
        "from circulation.mail.outbox import queue_rendered_mail\n"
        "with transaction.atomic():\n"
        "    queue_rendered_mail(purpose='ops.demo_check', to='reidai.ichiro@example.jp',"
        f" subject='{subject}', body_text='ワーカーが配信しました。')\n",
    )
    wait_for(lambda: subject in get(f"{demo.url}/demo/mail/"), 60, "the mail to be delivered")
    assert list((demo.var_dir / "mail").glob("*.eml"))

    # Ctrl-C: the demo ends cleanly and leaves nothing running.
    children = demo.everything()
    assert demo.stop(signal.SIGINT) == 0, demo.output()
    assert demo.everything() == []
    assert not any(alive(pid) for pid in children)
    assert "[rundemo] stopped." in demo.output()


def test_running_again_keeps_the_data_and_a_dying_process_stops_the_rest(start_demo, tmp_path):
    var_dir = tmp_path / "var"
    env = demo_env(var_dir)
    # An earlier demo session: migrated, loaded, and someone renamed the chair.
    manage(env, "migrate", "--verbosity", "0")
    earlier_session = (
        "from portal.demo import load_demo\n"
        "from portal.models import User\n"
        "load_demo()\n"
        "User.objects.filter(email='reidai.ichiro@example.jp').update(full_name='改名 一郎')\n"
    )
    manage(env, "shell", "-c", earlier_session)

    demo = start_demo(var_dir)
    demo.wait_until_served()
    assert "already loaded: keeping its data" in demo.output()
    chair = (
        "from portal.models import User\nprint(User.objects.get(email='reidai.ichiro@example.jp'))"
    )
    assert "改名 一郎" in manage(env, "shell", "-c", chair)

    # The worker is killed: the demo stops the web server and beat and fails, saying why.
    os.kill(demo.pids["worker"], signal.SIGKILL)
    assert demo.process.wait(timeout=30) != 0
    assert "Celery worker stopped unexpectedly" in demo.output()
    assert demo.everything() == []


def test_the_demo_refuses_a_port_in_use_and_asks_nothing(start_demo, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "rundemo", "--port", str(port)],
            cwd=ROOT,
            env=demo_env(tmp_path / "var"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode != 0
    assert f"port {port}" in result.stderr
    assert "PORT=" in result.stderr


def test_rundemo_outside_the_demo_refuses(tmp_path):
    env = demo_env(tmp_path / "var")
    del env["KAIRAN_DEMO"]
    env["DEBUG"] = "1"

    result = subprocess.run(
        [sys.executable, "manage.py", "rundemo", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "KAIRAN_DEMO=1" in result.stderr
