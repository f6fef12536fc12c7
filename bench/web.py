"""Web benchmark: gunicorn serving the member home page, the member circulation page, the
reply POST and the secretariat's tracking page of a 1,000-recipient circulation on
PostgreSQL, against the floor (bench/floor.py) served by the same gunicorn in the same run.
wrk generates the load on 127.0.0.1, one person per connection, at 1 and 16 clients.

    python -m bench.web        (or `make bench`, which runs every benchmark)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, Environment, Skip, bench_environment, machine, table, write_result

WRK_SCRIPT = ROOT / "bench" / "wrk" / "kairan.lua"
CONCURRENCY = (1, 16)
SECONDS = 6  # per measured run
WARMUP_SECONDS = 2
# Targets (issue 7): member pages within 2x the floor, the tracking page within 3x.
TARGETS = {"member home": 2.0, "member circulation page": 2.0, "reply (POST)": 2.0,
           "tracking page (1,000 recipients)": 3.0}  # fmt: skip


@dataclass(frozen=True)
class Target:
    name: str
    method: str  # GET, or "reply" for the reply POST
    path: str
    status: int
    who: str  # "members" or "secretariat"


@dataclass
class BenchWorld:
    circulation_id: int
    member_slots: Path  # one member per wrk connection
    secretariat_slots: Path
    world: Any


def seed(environment: Environment, recipients: int = 1000) -> BenchWorld:
    """The council: 1,000 recipients on the open circulation, 2 in 3 replied (in up to 3
    versions), 5 materials (each corrected once), 5 questions, 20 past circulations."""
    from bench.seed import Size, build, personas
    from bench.sessions import write_slots
    from circulation.models import Recipient

    size = Size(recipients=recipients, materials=5, reply_versions=3, questions=5, past=20,
                audit_entries=1000)  # fmt: skip
    world = build(personas(), size)
    receipts = (
        Recipient.objects.filter(circulation=world.open, role="member")
        .select_related("user", "current_reply")
        .order_by("id")
    )[: max(CONCURRENCY)]
    slots = [(r.user, r.current_reply.version if r.current_reply else 0) for r in receipts]
    folder = environment.var_dir
    return BenchWorld(
        circulation_id=world.open.pk,
        member_slots=write_slots(folder / "members.slots", slots),
        secretariat_slots=write_slots(
            folder / "secretariat.slots", [(world.council.secretariat, 0)] * max(CONCURRENCY)
        ),
        world=world,
    )


def targets(circulation_id: int) -> dict[str, Target]:
    c = circulation_id
    return {
        "floor": Target("floor", "GET", f"/bench/floor/{c}/", 200, "members"),
        "member home": Target("member home", "GET", "/", 200, "members"),
        "member circulation page": Target(
            "member circulation page", "GET", f"/c/{c}/", 200, "members"
        ),
        "tracking page (1,000 recipients)": Target(
            "tracking page (1,000 recipients)", "GET", f"/c/{c}/tracking/", 200, "secretariat"
        ),
        "reply (POST)": Target("reply (POST)", "reply", f"/c/{c}/reply/", 302, "members"),
    }


def wrk(base: str, target: Target, slots: Path, clients: int, seconds: int) -> dict[str, Any]:
    command = [
        "wrk", f"-t{clients}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s",
        "-s", str(WRK_SCRIPT), base, "--", str(slots), target.method, target.path,
        str(target.status),
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("KAIRAN_RESULT "):
            return parse_wrk(line)
    raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")


def parse_wrk(line: str) -> dict[str, Any]:
    raw = json.loads(line.removeprefix("KAIRAN_RESULT "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "requests": raw["requests"],
        "per_second": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "unexpected_status": raw["unexpected_status"],
        "socket_errors": errors,
    }


def _slots(bench: BenchWorld, target: Target) -> Path:
    return bench.secretariat_slots if target.who == "secretariat" else bench.member_slots


def measure(base: str, bench: BenchWorld, seconds: int = SECONDS) -> list[dict[str, Any]]:
    """The pages first (so that the benchmark's own replies do not fatten the tracking
    page), the reply POST last; each block between two runs of the floor."""
    all_targets = targets(bench.circulation_id)
    for target in all_targets.values():
        wrk(base, target, _slots(bench, target), 2, WARMUP_SECONDS)
    blocks = [
        ["member home", "member circulation page", "tracking page (1,000 recipients)"],
        ["reply (POST)"],
    ]
    runs = []
    for names in blocks:
        for clients in CONCURRENCY:
            floors = [wrk(base, all_targets["floor"], bench.member_slots, clients, seconds)]
            measured = {}
            for name in names:
                target = all_targets[name]
                measured[name] = wrk(base, target, _slots(bench, target), clients, seconds)
            floors.append(wrk(base, all_targets["floor"], bench.member_slots, clients, seconds))
            floor = {
                key: round(statistics.fmean(f[key] for f in floors), 2)
                for key in ("p50_ms", "p95_ms", "per_second")
            }
            runs.append({"page": "floor", "clients": clients, **floor, "runs": floors})
            for name, result in measured.items():
                runs.append(_with_ratios(name, clients, result, floor))
    return runs


def _with_ratios(
    name: str, clients: int, result: dict[str, Any], floor: dict[str, float]
) -> dict[str, Any]:
    ratio_p50 = round(result["p50_ms"] / floor["p50_ms"], 2) if floor["p50_ms"] else None
    ratio_p95 = round(result["p95_ms"] / floor["p95_ms"], 2) if floor["p95_ms"] else None
    target = TARGETS[name]
    return {
        "page": name,
        "clients": clients,
        **result,
        "floor_p50_ms": floor["p50_ms"],
        "floor_p95_ms": floor["p95_ms"],
        "ratio_p50": ratio_p50,
        "ratio_p95": ratio_p95,
        "target_ratio": target,
        "target_met": ratio_p50 is not None and ratio_p50 <= target,
    }


def _verdict(run: dict[str, Any]) -> str:
    return f"<={run['target_ratio']}x {'ok' if run['target_met'] else 'MISSED'}"


def report(runs: list[dict[str, Any]]) -> str:
    rows = []
    for run in runs:
        is_floor = run["page"] == "floor"
        rows.append([
            run["page"], run["clients"], run.get("requests", ""), run["per_second"],
            run["p50_ms"], run["p95_ms"],
            "" if is_floor else f"{run['ratio_p50']}x",
            "" if is_floor else f"{run['ratio_p95']}x",
            "" if is_floor else _verdict(run),
            "" if is_floor else run["unexpected_status"] + run["socket_errors"],
        ])  # fmt: skip
    headers = ["page", "clients", "requests", "req/s", "p50 ms", "p95 ms", "p50/floor",
               "p95/floor", "target (p50)", "errors"]  # fmt: skip
    return table(headers, rows)


def run(environment: Environment, bench: BenchWorld | None = None) -> dict[str, Any]:
    from bench.server import gunicorn

    if shutil.which("wrk") is None:
        raise Skip("wrk is not installed (Debian: apt-get install wrk)")
    bench = bench or seed(environment)
    cpus = os.cpu_count() or 1
    workers = 2 * cpus + 1
    started = time.monotonic()
    with gunicorn(environment.env, workers=workers) as (base, _process):
        runs = measure(base, bench)
    result = {
        "machine": machine(),
        "server": {"gunicorn_workers": workers, "worker_class": "sync"},
        "load": {
            "generator": "wrk",
            "seconds_per_run": SECONDS,
            "concurrency": CONCURRENCY,
            "one_person_per_connection": True,
        },
        "recipients": 1000,
        "runs": runs,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    path = write_result("web", result)
    print("Web pages against the floor (same gunicorn, same run)")
    print(report(runs))
    print(f"-> {path.relative_to(ROOT)}")
    return result


def main() -> int:
    try:
        with bench_environment() as environment:
            run(environment)
    except Skip as skip:
        print(f"web benchmark skipped: {skip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
