"""What every web benchmark shares: a throw-away PostgreSQL database, production-like
settings, the machine's description, tables and JSON results.

The benchmarks never touch an existing database or broker: they create the database
`kairan_bench` on the PostgreSQL server named by DATABASE_URL (default: the local one at
127.0.0.1:5432, user postgres), drop it at the end, and use the embedded broker and cache in a
temporary folder (so nothing they queue can reach a real worker).
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_DATABASE = "kairan_bench"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


class Skip(Exception):
    """The benchmark cannot run here; the message says what is missing."""


@dataclass(frozen=True)
class Environment:
    database_url: str
    var_dir: Path
    env: dict[str, str]  # the environment of the bench process and of its servers


def server_url() -> str:
    """A URL of the PostgreSQL server to use (its database part is replaced)."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        return given
    return DEFAULT_SERVER


# Redis where present: database 13, which nothing else here uses (the queued tasks of a run
# are dropped afterwards).
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def redis_url() -> str:
    """REDIS_URL if given, else the local Redis if one answers, else '' (run without)."""
    given = os.environ.get("REDIS_URL", "")
    if given:
        return given
    try:
        import redis

        client = redis.Redis.from_url(DEFAULT_REDIS, socket_connect_timeout=0.5)
        client.ping()
        client.close()
    except Exception:  # no Redis here: the benchmarks that need one say they skipped
        return ""
    return DEFAULT_REDIS


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin_connection(url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise Skip(f"no PostgreSQL server at {urlsplit(url).hostname}: {exc}".strip()) from None


def _recreate(url: str, name: str) -> None:
    with _admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str, name: str) -> None:
    with _admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """Settings as in production (DEBUG off, manifest static files, MFA required of the
    secretariat), with the floor URL on. Broker and cache: Redis when REDIS_URL is set (as in
    production; give it a database number of its own: the queued tasks are dropped after the
    run), else the embedded ones in `var_dir`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"KAIRAN_TESTING", "KAIRAN_DEMO", "DEBUG"}
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "KAIRAN_VAR_DIR": str(var_dir),
            "KAIRAN_MEDIA_ROOT": str(var_dir / "media"),
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_HOST": "127.0.0.1",  # never contacted: the web process only queues mail
            "KAIRAN_BENCH_FLOOR": "1",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


# Databases a benchmark must never drop and recreate: the shared test database, the mail
# benchmark's, and PostgreSQL's own.
PROTECTED_DATABASES = {"test", "lead", "bench_mail", "postgres", "template0", "template1"}


@contextmanager
def bench_environment(database: str = BENCH_DATABASE) -> Iterator[Environment]:
    """A fresh, migrated database (`kairan_bench` unless `database` names another) and Django
    set up on it in this process; everything is removed afterwards."""
    server = server_url()
    _recreate(server, database)
    database_url = with_database(server, database)
    var_dir = Path(tempfile.mkdtemp(prefix="kairan-bench-"))
    env = production_env(database_url, var_dir)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        import django
        from django.core.management import call_command

        sys.path.insert(0, str(ROOT))
        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        yield Environment(database_url=database_url, var_dir=var_dir, env=env)
    finally:
        from django.db import connections

        connections.close_all()
        _drop_queued_tasks(env.get("REDIS_URL", ""))
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(var_dir, ignore_errors=True)
        _drop(server, database)


def _drop_queued_tasks(redis_url: str) -> None:
    """The receipts the reply POSTs queued: no worker runs during the web benchmark."""
    if not redis_url:
        return
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    client.close()


def broker() -> str:
    """Where the pages hand their mail over (reported with the figures)."""
    return "redis" if os.environ.get("REDIS_URL") else "embedded (filesystem)"


def machine() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        import django
        import gunicorn

        info["django"] = django.get_version()
        info["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    except Exception:  # before Django is set up, or no PostgreSQL
        pass
    wrk = shutil.which("wrk")
    if wrk:
        version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
        info["wrk"] = version.split("[")[0].strip()
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in cells]  # fmt: skip
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return ""


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "commit": git_commit(), **data}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return path


def analyze() -> None:
    """Give PostgreSQL the statistics of the tables just filled. Why: without them the
    planner takes every table for a few rows (scanning all 6,000 reply versions for one
    page's 100, for instance) until autovacuum gets round to it, a minute or so later,
    perhaps in the middle of a run. Production's tables have their statistics."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
