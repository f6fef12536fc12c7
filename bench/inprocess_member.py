"""In-process timing of the member circulation page and the reply POST against the floor.

A quick check while working on issue 7, not a benchmark: no gunicorn and no wrk, so no fixed
HTTP cost, and the ratios come out higher (more conservative) than bench/web.py's. It seeds
the web benchmark's council (bench/web.py `seed()`: 1,000 recipients, 5 materials, 5
questions) in a database of its own, opens the benchmark's first member session with
django.test.Client (the CSRF check enforced, as for wrk), and times, in interleaved rounds,
N GETs of the floor (/bench/floor/<id>/), N GETs of the member circulation page (/c/<id>/)
and N reply POSTs as bench/wrk/reply.lua sends them (意見あり on top of the current version,
302 expected). It prints the median and p90 of each, and each page's ratio to the floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_member \\
        .venv/bin/python -m bench.inprocess_member [-n 300] [--profile page|post|floor]

The database named by DATABASE_URL is created afresh and dropped afterwards, by
bench/common.py's `bench_environment` (never `kairan_bench`, the benchmark's, nor the shared
`test`, `lead` and `bench_mail`). Settings are production's, as `production_env` gives them
(DEBUG off, MFA required of the secretariat; Redis when REDIS_URL is set, else the embedded
broker and cache in a temporary folder). `--profile` runs cProfile over N requests
of one kind and prints the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bench.common import BENCH_DATABASE, PROTECTED_DATABASES, bench_environment

OPINION = "賛成します"


def _database_name() -> str:
    url = os.environ.get("DATABASE_URL", "")
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or not name:
        sys.exit("DATABASE_URL must name a private PostgreSQL database, e.g. .../wt_member")
    if name in PROTECTED_DATABASES | {BENCH_DATABASE}:
        sys.exit(f"refusing to drop and recreate the database {name!r}")
    return name


class Runner:
    """The benchmark's first member, as wrk's first connection is."""

    def __init__(self, bench: Any) -> None:
        from django.test import Client

        self.circulation_id = bench.circulation_id
        slot = bench.member_slots.slots[0]
        self.csrf = slot.csrf
        self.client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        self.client.cookies["sessionid"] = slot.session
        self.client.cookies["csrftoken"] = slot.csrf
        self.version = self._current_version(slot.user)

    def _current_version(self, user: Any) -> int:
        from circulation.models import Recipient

        recipient = Recipient.objects.select_related("current_reply").get(
            circulation_id=self.circulation_id, user=user
        )
        return recipient.current_reply.version if recipient.current_reply else 0

    def floor(self) -> None:
        self._expect(self.client.get(f"/bench/floor/{self.circulation_id}/"), 200)

    def page(self) -> None:
        self._expect(self.client.get(f"/c/{self.circulation_id}/"), 200)

    def post(self) -> None:
        response = self.client.post(
            f"/c/{self.circulation_id}/reply/",
            {
                "csrfmiddlewaretoken": self.csrf,
                "kind": "opinion",
                "opinion": OPINION,
                "meeting_needed": "no",
                "base_version": str(self.version),
            },
        )
        self._expect(response, 302)
        self.version += 1

    @staticmethod
    def _expect(response: Any, status: int) -> None:
        if response.status_code != status:
            raise RuntimeError(f"{response.status_code}, not {status}: {response.content[:300]!r}")


def _timed(call: Callable[[], None]) -> tuple[float, float]:
    """Wall time and this process's CPU time of one request, in ms. The CPU time leaves out
    the database server's work but also most of what other processes on a busy machine
    steal, so it is the steadier of the two while others run tests."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
    return wall, cpu


def measure(runner: Runner, n: int) -> dict[str, list[tuple[float, float]]]:
    """Interleaved rounds (floor, page, floor, post), so drift hits all of them alike."""
    kinds = {"floor": runner.floor, "page": runner.page, "post": runner.post}
    for call in kinds.values():  # warm-up: templates, kept parts, connections
        for _ in range(20):
            call()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in kinds}
    for _ in range(n):
        times["floor"].append(_timed(runner.floor))
        times["page"].append(_timed(runner.page))
        times["floor"].append(_timed(runner.floor))
        times["post"].append(_timed(runner.post))
    return times


def report(times: dict[str, list[tuple[float, float]]]) -> str:
    floor_wall = statistics.median(wall for wall, _ in times["floor"])
    floor_cpu = statistics.median(cpu for _, cpu in times["floor"])
    lines = [
        f"{'':6} {'wall median':>11} {'p25':>6} {'p90':>6} {'x floor':>8}"
        f" {'cpu median':>11} {'x floor':>8}"
    ]
    for name, pairs in times.items():
        walls, cpus = [w for w, _ in pairs], [c for _, c in pairs]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        quartiles, deciles = statistics.quantiles(walls, n=4), statistics.quantiles(walls, n=10)
        ratio_wall = "" if name == "floor" else f"{wall / floor_wall:.2f}x"
        ratio_cpu = "" if name == "floor" else f"{cpu / floor_cpu:.2f}x"
        lines.append(
            f"{name:6} {wall:11.2f} {quartiles[0]:6.2f} {deciles[-1]:6.2f} {ratio_wall:>8}"
            f" {cpu:11.2f} {ratio_cpu:>8}"
        )
    return "\n".join(lines)


def profile(runner: Runner, kind: str, n: int) -> None:
    call = getattr(runner, kind)
    for _ in range(20):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="requests of each kind")
    parser.add_argument("--profile", choices=["page", "post", "floor"])
    args = parser.parse_args()
    with bench_environment(_database_name()) as environment:
        from bench.web import seed

        runner = Runner(seed(environment))
        if args.profile:
            profile(runner, args.profile, args.n)
        else:
            print(f"{args.n} requests of each kind (the floor twice as often), in-process")
            print(report(measure(runner, args.n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
