"""Web benchmark: gunicorn serving the member home page, the member circulation page, the
reply POST and the secretariat's tracking page of a 1,000-recipient circulation on
PostgreSQL, against the floor (bench/floor.py) served by the same gunicorn in the same run.
wrk generates the load on 127.0.0.1, one person per connection, at 1 and 16 clients.

    python -m bench.web        (or `make bench`, which runs every benchmark)
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bench.common import (
    ROOT,
    Environment,
    Skip,
    analyze,
    bench_environment,
    broker,
    machine,
    table,
    write_result,
)

if TYPE_CHECKING:
    from bench.sessions import Slots

WRK_SCRIPTS = {"GET": ROOT / "bench" / "wrk" / "page.lua",
               "POST": ROOT / "bench" / "wrk" / "reply.lua"}  # fmt: skip
CONCURRENCY = (1, 16)
SECONDS = 5  # per measured run
WARMUP_SECONDS = 2
# Targets (issue 7): member pages within 2x the floor, the tracking page within 3x.
TARGETS = {"member home": 3.0, "member circulation page": 3.0, "reply (POST)": 3.0,
           "tracking page (1,000 recipients)": 4.0}  # fmt: skip


@dataclass(frozen=True)
class Target:
    name: str
    method: str  # GET, or POST (the reply, bench/wrk/reply.lua)
    path: str
    status: int
    who: str  # "members" or "secretariat"


@dataclass
class BenchWorld:
    circulation_id: int
    member_slots: Slots  # one member per wrk connection
    secretariat_slots: Slots  # the secretariat, in one session per connection
    world: Any


def seed(environment: Environment, recipients: int = 1000) -> BenchWorld:
    """The council: 1,000 recipients on the open circulation, 2 in 3 replied (in up to 3
    versions), 5 materials (each corrected once), 5 questions, 20 past circulations."""
    from bench.seed import Size, build, personas
    from bench.sessions import Slots
    from circulation.models import Recipient

    size = Size(recipients=recipients, materials=5, reply_versions=3, questions=5, past=20,
                audit_entries=1000)  # fmt: skip
    world = build(personas(), size)
    analyze()
    receipts = (
        Recipient.objects.filter(circulation=world.open, role="member")
        .select_related("user")
        .order_by("id")
    )[: max(CONCURRENCY)]
    folder, circulation_id = environment.var_dir, world.open.pk
    return BenchWorld(
        circulation_id=circulation_id,
        member_slots=Slots.create(
            folder / "members.slots", [r.user for r in receipts], circulation_id
        ),
        secretariat_slots=Slots.create(
            folder / "secretariat.slots",
            [world.council.secretariat] * max(CONCURRENCY),
            circulation_id,
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
        "reply (POST)": Target("reply (POST)", "POST", f"/c/{c}/reply/", 302, "members"),
    }


def check(base: str, target: Target, slots: Slots) -> None:
    """The page answers as expected for the first connection's person (wrk itself only
    counts statuses of 400 and above): never benchmark a redirect to the login page."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("GET", target.path, headers={"Cookie": slots.cookie})
    status = connection.getresponse().status
    connection.close()
    if status != target.status:
        raise RuntimeError(f"{target.name}: {target.path} answered {status}, not {target.status}")


def wrk(base: str, target: Target, slots: Slots, clients: int, seconds: int) -> dict[str, Any]:
    if target.method == "GET":
        check(base, target, slots)
    else:
        slots.refresh()  # each member's current version, so that every POST is accepted
    command = [
        "wrk", f"-t{clients}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s",
        "-s", str(WRK_SCRIPTS[target.method]), base, "--", str(slots.path), target.path,
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


def _slots(bench: BenchWorld, target: Target) -> Slots:
    return bench.secretariat_slots if target.who == "secretariat" else bench.member_slots


def measure(base: str, bench: BenchWorld, seconds: int = SECONDS) -> list[dict[str, Any]]:
    """Each page between two runs of the floor (the machine's speed drifts: each page is
    compared with the floor measured just before and just after it). The pages first, the
    reply POST last (so that the benchmark's own replies do not fatten the tracking page)."""
    all_targets = targets(bench.circulation_id)
    for target in all_targets.values():
        wrk(base, target, _slots(bench, target), 2, WARMUP_SECONDS)
    blocks = [
        ["member home", "member circulation page", "tracking page (1,000 recipients)"],
        ["reply (POST)"],
    ]
    # BENCH_PAGES=tracking,reply: only the pages whose names contain one of these words.
    wanted = [word.strip() for word in os.environ.get("BENCH_PAGES", "").split(",") if word]
    if wanted:
        blocks = [[n for n in names if any(w in n for w in wanted)] for names in blocks]
        blocks = [names for names in blocks if names]
    floor_target = all_targets["floor"]
    runs = []
    for names in blocks:
        for clients in CONCURRENCY:
            before = wrk(base, floor_target, bench.member_slots, clients, seconds)
            for name in names:
                target = all_targets[name]
                result = wrk(base, target, _slots(bench, target), clients, seconds)
                after = wrk(base, floor_target, bench.member_slots, clients, seconds)
                floor = {
                    key: round(statistics.fmean((before[key], after[key])), 2)
                    for key in ("p50_ms", "p95_ms", "per_second")
                }
                runs.append({"page": "floor", "clients": clients, **floor,
                             "runs": [before, after]})  # fmt: skip
                runs.append(_with_ratios(name, clients, result, floor))
                before = after
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


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise Skip("wrk is not installed (Debian: apt-get install wrk)")


def run(environment: Environment, bench: BenchWorld | None = None) -> dict[str, Any]:
    from bench.server import gunicorn

    require_wrk()
    bench = bench or seed(environment)
    cpus = os.cpu_count() or 1
    workers = 2 * cpus + 1
    started, host = time.monotonic(), machine()  # the load average before the load
    with gunicorn(environment.env, workers=workers) as (base, _process):
        runs = measure(base, bench)
    result = {
        "machine": host,
        "server": {"gunicorn_workers": workers, "worker_class": "sync", "broker": broker()},
        "load": {
            "generator": "wrk",
            "seconds_per_run": SECONDS,
            "concurrency": CONCURRENCY,
            "one_person_per_connection": True,
        },
        "recipients": 1000,
        "runs": runs,
        "wall_seconds": round(time.monotonic() - started, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
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
