"""In-process timing of a page against the floor, without a server or a load generator.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python -m bench.inprocess --database wt_tracking [-n 300] [--pages tracking,member]
        [--profile tracking] [--sort cumulative] [--sql tracking]

It creates (and afterwards drops) the database named by --database on the PostgreSQL server
of DATABASE_URL, with the settings of the web benchmark (bench/common.py: production-like,
DEBUG off, MFA required of the secretariat, the floor URL on), seeds the web benchmark's
council (bench/web.py `seed()`: 1,000 recipients, materials, questions, past circulations),
logs in the secretariat and a member with django.test.Client, and times N requests of each
page against N requests of the floor (bench/floor.py). Requests alternate in rounds of ten
(floor, then each page) so that a drift of the machine's speed touches every page alike.
It prints the median and p95 in ms of each page and the ratio of its median to the floor's.

Why in-process: a quick, repeatable figure while changing code, no gunicorn or wrk needed,
and a profile of the very requests that were timed. The ratios are higher than the web
benchmark's (there is no fixed HTTP cost to share), so they err on the safe side: a page at
3x here is under 3x behind gunicorn. It is not a substitute for bench/web.py on a quiet
machine.

--profile NAME runs cProfile over the N requests of that page (after the timing) and prints
the top functions; --sql NAME prints each SQL statement of that page with its median time.
Databases named test, lead, bench_mail (others' work) and PostgreSQL's own are refused.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.common import PROTECTED_DATABASES, Skip, bench_environment, table

if TYPE_CHECKING:
    from bench.web import BenchWorld

ROUND = 10  # requests of one page in a row before the next page's


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str  # "member" or "secretariat"


def pages(circulation_id: int) -> dict[str, Page]:
    c = circulation_id
    return {
        "floor": Page("floor", f"/bench/floor/{c}/", "member"),
        "tracking": Page("tracking", f"/c/{c}/tracking/", "secretariat"),
        "tracking-not-replied": Page(
            "tracking-not-replied", f"/c/{c}/tracking/?show=not_replied&page=2", "secretariat"
        ),
        "questions": Page("questions", f"/c/{c}/questions/", "secretariat"),
        "member": Page("member", f"/c/{c}/", "member"),
        "home": Page("home", "/", "member"),
    }


def _client(user: Any) -> Any:
    from django.test import Client

    # ALLOWED_HOSTS is 127.0.0.1 in the benchmark's settings.
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    return client


def _getter(client: Any, page: Page) -> Callable[[], None]:
    def get() -> None:
        response = client.get(page.path)
        if response.status_code != 200:
            raise RuntimeError(f"{page.name}: {page.path} answered {response.status_code}")

    return get


def getters(bench: BenchWorld, names: list[str]) -> dict[str, Callable[[], None]]:
    """One GET of each named page (see `pages`) by its person, logged in with the test client."""
    people = bench.world.council
    clients = {"member": _client(people.members[0]), "secretariat": _client(people.secretariat)}
    known = pages(bench.circulation_id)
    return {n: _getter(clients[known[n].who], known[n]) for n in dict.fromkeys(names) if n}


def time_pages(getters: dict[str, Callable[[], None]], requests: int) -> dict[str, list[float]]:
    """`requests` timings (ms) of each page, in alternating rounds of ROUND."""
    for get in getters.values():  # warm up: templates, URL resolver, kept parts
        for _ in range(3):
            get()
    times: dict[str, list[float]] = {name: [] for name in getters}
    while any(len(t) < requests for t in times.values()):
        for name, get in getters.items():
            for _ in range(min(ROUND, requests - len(times[name]))):
                started = time.perf_counter()
                get()
                times[name].append((time.perf_counter() - started) * 1000)
    return times


def report(times: dict[str, list[float]]) -> str:
    floor = statistics.median(times["floor"])
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)
        ratio = "" if name == "floor" else f"{median / floor:.2f}x"
        rows.append([name, len(values), f"{median:.2f}", f"{p95:.2f}", ratio])
    return table(["page", "requests", "median ms", "p95 ms", "median/floor"], rows)


def profile(get: Callable[[], None], requests: int, sort: str, limit: int = 45) -> str:
    """The top `limit` functions of `requests` requests by `sort`; then, if the environment's
    BENCH_FUNCTIONS names functions (comma-separated, as pstats prints them, e.g.
    "tracking.py:148(tracking)"), the cumulative ms per request of each."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        get()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats(sort).print_stats(limit)
    wanted = [name.strip() for name in os.environ.get("BENCH_FUNCTIONS", "").split(",")]
    for (file, line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        label = f"{file}:{line}({function})"
        if any(name and name in label for name in wanted):
            out.write(f"{row[3] * 1000 / requests:9.2f} ms/request (profiled)  {label}\n")
    return out.getvalue()


def statements(get: Callable[[], None], requests: int = 30) -> str:
    """Each SQL statement of one request with its median time (ms) over `requests` requests.
    Timed around the driver's execute and fetch (Django's own log rounds to a millisecond)."""
    from django.db import connection

    runs: list[list[tuple[str, float]]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            runs[-1].append((sql, (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(timed):
        for _ in range(requests):
            runs.append([])
            get()
    rows = []
    for index, (sql, _ms) in enumerate(runs[-1]):
        times = [run[index][1] for run in runs if len(run) > index]
        rows.append([index + 1, f"{statistics.median(times):.2f}", " ".join(sql.split())[:140]])
    total = statistics.median(sum(ms for _sql, ms in run) for run in runs)
    rows.append(["", f"{total:.2f}", "(all statements)"])
    return table(["#", "median ms", "statement"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="kairan_inprocess")
    parser.add_argument("-n", "--requests", type=int, default=300)
    parser.add_argument(
        "--pages", default="tracking", help="comma-separated: " + ", ".join(pages(0))
    )
    parser.add_argument("--profile", default="", help="a page to profile after timing")
    parser.add_argument("--sql", default="", help="a page whose statements to time")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    args = parser.parse_args(argv)
    if args.database in PROTECTED_DATABASES:
        parser.error(f"refusing to recreate the database {args.database!r}")
    try:
        with bench_environment(args.database) as environment:
            from bench.web import seed

            bench = seed(environment)
            wanted = [n.strip() for n in args.pages.split(",") if n.strip()]
            requests = getters(bench, ["floor", *wanted, args.sql, args.profile])
            times = time_pages({n: requests[n] for n in ["floor", *wanted]}, args.requests)
            print(f"In-process, {args.requests} requests each (bench/web.py's council)")
            print(report(times))
            if args.sql:
                print(statements(requests[args.sql]))
            if args.profile:
                print(profile(requests[args.profile], args.requests, args.sort))
    except Skip as skip:
        print(f"in-process timing skipped: {skip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
