"""`make demo`: the whole portal on one machine, on the embedded defaults.

Migrates, loads the demo council (once; running again keeps the data), collects static files
when they changed, then runs gunicorn, a real Celery worker and Celery beat together until
Ctrl-C. Asks no questions.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from portal.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo
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
        self._prepare()
        url = f"http://{HOST}:{port}"
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

    def _prepare(self) -> None:
        self._say("migrating the database …")
        call_command("migrate", interactive=False, verbosity=1)
        if load_demo() is None:
            self._say("the demo council is already loaded: keeping its data.")
        else:
            self._say("loaded the demo council.")
        if static_files_stale():
            call_command("collectstatic", interactive=False, verbosity=1)
        connections.close_all()  # this process only watches from now on

    def _say(self, text: str) -> None:
        self.stdout.write(f"[rundemo] {text}")
        self.stdout.flush()

    def _banner(self, url: str) -> None:
        width = max(len(person.email) for person in DEMO_PEOPLE)
        rows = "\n".join(
            f"  {person.email:<{width}}  {person.full_name}  {person.label} ({person.label_en})"
            for person in DEMO_PEOPLE
        )
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
            f"Demo logins (one password for all: {DEMO_PASSWORD})\n{rows}\n\n"
            f"{mfa}\n"
            f"Mail the portal sends: {_shown(Path(settings.KAIRAN_MAIL_DIR))}/*.eml "
            f"and {url}/demo/mail/\n"
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
