"""Shared set-up of the mail engine's benchmarks: a throw-away PostgreSQL database, Redis,
an aiosmtpd sink and Celery worker subprocesses (the same parts as the integration tests).

Needs DATABASE_URL=postgres://… and REDIS_URL=redis://… (a database number of its own).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import analyze

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def require_real_parts(name: str) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(f"{name}: skipped (needs DATABASE_URL=postgres://…)")
        sys.exit(0)
    if not os.environ.get("REDIS_URL"):
        print(f"{name}: skipped (needs REDIS_URL=redis://…)")
        sys.exit(0)
    os.environ.setdefault("KAIRAN_TESTING", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("KAIRAN_VAR_DIR", tempfile.mkdtemp(prefix="kairan-bench-"))
    # The same as the workers' (tests/mail_engine/realparts.py): Message-IDs map back to rows.
    os.environ.setdefault("DEFAULT_FROM_EMAIL", "Kairan <kairan@city.example.jp>")
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh, migrated database (test_<name of DATABASE_URL>); yields its URL."""
    from django.db import connection

    from tests.mail_engine.realparts import database_url_of

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield database_url_of(connection.settings_dict)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def make_council(members: int, name: str = "ベンチマーク審議会") -> dict[str, Any]:
    """A committee with a secretariat, a chair, an acting chair and `members` members."""
    from portal.models import Committee, Membership, Role, User

    today = dt.date.today()
    committee = Committee.objects.create(name=name)
    people = User.objects.bulk_create(
        [
            User(email=f"sec-{committee.pk}@city.example.jp", full_name="事務局"),
            User(email=f"chair-{committee.pk}@example.jp", full_name="会長"),
            User(email=f"acting-{committee.pk}@example.jp", full_name="職務代理者"),
        ]
        + [
            User(email=f"m{i:05d}-{committee.pk}@example.jp", full_name=f"委員 {i}")
            for i in range(members)
        ]
    )
    roles = [Role.SECRETARIAT, Role.CHAIR, Role.ACTING_CHAIR] + [Role.MEMBER] * members
    Membership.objects.bulk_create(
        Membership(
            user=user,
            committee=committee,
            role=role,
            term_start=today - dt.timedelta(days=30),
            term_end=today + dt.timedelta(days=700),
        )
        for user, role in zip(people, roles, strict=True)
    )
    analyze()
    return {"committee": committee, "secretariat": people[0], "sitting": people[1:]}


def make_draft(council: dict[str, Any], deadline: dt.datetime, title: str = "ベンチ") -> Any:
    from circulation.models import Circulation, Material, Recipient

    circulation = Circulation.objects.create(
        committee=council["committee"],
        title=title,
        explanation="資料をご確認ください。",
        deadline=deadline,
        created_by=council["secretariat"],
    )
    Material.objects.create(
        circulation=circulation,
        title="資料",
        file="materials/bench.pdf",
        original_name="資料.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        uploaded_by=council["secretariat"],
    )
    Recipient.objects.bulk_create(
        Recipient(circulation=circulation, user=user) for user in council["sitting"]
    )
    return circulation


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def distribution(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        # Other work on the machine (e.g. other test runs) shows here and skews every figure.
        "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "at": stamp, "machine": machine(), **data}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return path


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {value}" for label, value in rows)
