"""`make demo`: the whole portal on one machine, on the embedded defaults.

Migrates, loads the demo council (once; running again keeps the data), collects static files
when they changed, then runs gunicorn, a real Celery worker and Celery beat together until
Ctrl-C. Asks no questions.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from portal.demo import demo_is_loaded, logins_text
from portal.staticcheck import static_files_stale
from portal.supervise import Child, ChildDied, Supervisor

HOST = "127.0.0.1"


class Command(BaseCommand):
    help = "Run the demo: web server, Celery worker and Celery beat (needs KAIRAN_DEMO=1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT") or 8000), help="default 8000"
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=10.0,
            help="seconds to wait for the processes to end before killing them",
        )

    def handle(self, *args: Any, port: int, stop_timeout: float, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError(
                "rundemo runs only with KAIRAN_DEMO=1 (use `make demo`): it creates logins "
                "with a published password and keeps mail on disk."
            )
        _check_port_free(port)
        url = f"http://{HOST}:{port}"
        self._prepare(url)
        supervisor = Supervisor(
            _children(port),
            env=_child_env(url),
            cwd=str(settings.BASE_DIR),
            stop_timeout=stop_timeout,
            say=self._say,
        )
        try:
            supervisor.run(ready=lambda: _listening(port), on_ready=lambda: self._banner(url))
        except ChildDied as died:
            raise CommandError(f"{died}; the other processes were stopped.") from None
        self._say("stopped.")

    def _prepare(self, url: str) -> None:
        self._say("migrating the database …")
        call_command("migrate", interactive=False, verbosity=1)
        if demo_is_loaded():
            self._say("the demo council is already loaded: keeping its data.")
        else:
            self._say(f"loading the demo council (its mail links to {url}/) …")
            load_in_child(url)
            self._say("loaded the demo council.")
        if static_files_stale():
            self._say("collecting the static files …")
            call_command("collectstatic", interactive=False, verbosity=1)
        connections.close_all()  # this process only watches from now on

    def _say(self, text: str) -> None:
        self.stdout.write(f"[rundemo] {text}")
        self.stdout.flush()

    def _banner(self, url: str) -> None:
        mfa = (
            "MFA for the secretariat is OFF in this demo "
            "(KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT is off when KAIRAN_DEMO=1)."
            if not settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT
            else "MFA for the secretariat is ON (KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT=1): "
            "the secretariat sets up TOTP at the first login."
        )
        self.stdout.write(
            "\n"
            f"Kairan demo: {url}/\n\n"
            f"{logins_text()}\n"
            f"{mfa}\n"
            f"Mail the portal sends: {_shown(Path(settings.KAIRAN_MAIL_DIR))}/*.eml "
            f"and {url}/demo/mail/\n"
            f"The logins again: {url}/demo/ or `make demo-logins` in another terminal.\n"
            "Ctrl-C stops the web server, the Celery worker and Celery beat.\n"
        )
        self.stdout.flush()


def _children(port: int) -> list[Child]:
    python = sys.executable
    return [
        Child(
            "web server (gunicorn)",
            [
                *(python, "-m", "gunicorn", "portal.wsgi:application"),
                *("--bind", f"{HOST}:{port}", "--workers", "2", "--threads", "4"),
                *("--graceful-timeout", "5", "--log-level", "info"),
                # Two gunicorns on one machine would share ~/.gunicorn/gunicorn.ctl.
                "--no-control-socket",
            ],
        ),
        Child(
            "Celery worker",
            [
                *(python, "-m", "celery", "-A", "portal", "worker", "--pool", "solo"),
                *("--loglevel", "INFO", "--hostname", "demo@%h"),
                # Gossip, mingle and heartbeats broadcast to queues that the filesystem
                # broker never deletes: their files would pile up under var/broker/.
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
        ),
        Child(
            "Celery beat",
            [
                *(python, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"),
                *("--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME),
            ],
        ),
    ]


def load_in_child(url: str) -> None:
    """Load the demo data in a process of its own whose SITE_URL is this demo's address: the
    mail it queues (notices, reminders, the meeting's invitation) is rendered with its links
    then, and this process's settings were read before the port was known."""
    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo", "--quiet"],
        cwd=str(settings.BASE_DIR),
        env=_child_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CommandError(f"loading the demo data failed:\n{result.stderr.strip()}")


def _child_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["KAIRAN_DEMO"] = "1"
    env["PYTHONUNBUFFERED"] = "1"  # log lines appear as they happen
    env.setdefault("SITE_URL", url)  # links in mail point at this demo's port
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    return env


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # gunicorn sets SO_REUSEADDR too: a port in TIME_WAIT from the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise CommandError(
                f"port {port} on {HOST} is in use; choose another, e.g. `make demo PORT=8001`."
            ) from None


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
