"""`manage.py probe web|beat`: the container health checks of docker-compose.yml.

- `web`: asks this container's gunicorn for /readyz, with a Host header the site accepts
  (the first of ALLOWED_HOSTS), so that the check passes only when the web server answers
  and everything it needs is ready.
- `beat`: beat's own heartbeat (portal/ops/heartbeats.py) is recent.

Exit status 0 when healthy, 1 when not (what docker expects), with one line saying why.
"""

from __future__ import annotations

import datetime as dt
import sys
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from portal.ops.heartbeats import BEAT_TICK, last_seen


class Command(BaseCommand):
    help = "Health check of this container's process: web (asks /readyz) or beat (heartbeat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("process", choices=["web", "beat"])
        parser.add_argument("--port", type=int, default=8000, help="web: gunicorn's port")
        parser.add_argument("--timeout", type=float, default=10.0, help="web: seconds")
        parser.add_argument(
            "--max-age",
            type=int,
            default=None,
            help="beat: seconds since its last tick (default: 3 due-work periods, at least 90)",
        )

    def handle(self, *args: Any, process: str, **options: Any) -> None:
        healthy, why = (
            probe_web(options["port"], options["timeout"])
            if process == "web"
            else probe_beat(options["max_age"])
        )
        self.stdout.write(f"{process}: {why}")
        if not healthy:
            sys.exit(1)


def probe_web(port: int, timeout: float) -> tuple[bool, str]:
    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return True, response.read().decode()
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} {exc.read().decode(errors='replace')}"
    except OSError as exc:
        return False, f"not answering: {exc}"


def probe_beat(max_age: int | None) -> tuple[bool, str]:
    limit = max_age if max_age is not None else max(90, 3 * settings.KAIRAN_DUE_WORK_SECONDS)
    last = last_seen(BEAT_TICK)
    if last is None:
        return False, "beat has not sent any task yet"
    age = (timezone.now() - last) / dt.timedelta(seconds=1)
    if age > limit:
        return False, f"beat's last tick was {age:.0f} s ago (limit {limit} s)"
    return True, f"last tick {age:.0f} s ago"
