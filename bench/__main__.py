"""`make bench` (python -m bench): every benchmark, each printing a short table and writing
bench/results/<name>.json; what cannot run here is skipped with the reason.

- web: the member pages, the reply POST and the tracking page against the floor (bench/web.py)
- download: a 200 MB material through gunicorn (bench/download.py)
- mail_*: the mail engine's benchmarks (bench/mail_*.py), run as they are, each in its own
  process, when that branch's files are present

Load is generated only against 127.0.0.1, for a bounded time per run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, Skip, bench_environment, redis_url, server_url, with_database


def _attempt(name: str, action: Callable[[], object], failed: list[str]) -> None:
    print(f"\n== {name}")
    try:
        action()
    except Skip as skip:
        print(f"{name}: skipped ({skip})")
    except Exception:
        traceback.print_exc()
        failed.append(name)


def _web_benchmarks() -> list[str]:
    """Web and download, in one throw-away database (seeded once); returns what failed."""
    from bench import download, web

    failed: list[str] = []
    try:
        with bench_environment() as environment:
            seeded: list[web.BenchWorld] = []

            def run_web() -> None:
                web.require_wrk()
                seeded.append(web.seed(environment))
                web.run(environment, seeded[0])

            _attempt("web", run_web, failed)

            def run_download() -> None:
                download.run(environment, seeded[0] if seeded else None)

            _attempt("download", run_download, failed)
    except Skip as skip:
        print(f"\n== web, download\nskipped ({skip})")
    return failed


def mail_modules() -> list[str]:
    folder = ROOT / "bench"
    return sorted(
        f"bench.{path.stem}" for path in folder.glob("mail_*.py") if path.stem != "mail_common"
    )


def _mail_benchmarks() -> list[str]:
    modules = mail_modules()
    if not modules:
        print("\n== mail engine\nskipped: no bench/mail_*.py here (mail-engine branch)")
        return []
    env = dict(os.environ)
    if not env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = with_database(server_url(), "kairan_bench_mail")
    failed = []
    for module in modules:
        print(f"\n== {module.removeprefix('bench.')}")
        done = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=env)
        if done.returncode != 0:
            failed.append(module)
    return failed


def summary() -> None:
    results = sorted(Path(ROOT / "bench" / "results").glob("*.json"))
    if results:
        print("\nResults: " + ", ".join(str(p.relative_to(ROOT)) for p in results))


def main() -> int:
    started = time.monotonic()
    found = redis_url()
    if found and not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = found
        print(f"bench: using the local Redis at {found}")
    failed = _web_benchmarks() + _mail_benchmarks()
    summary()
    print(f"bench: {round(time.monotonic() - started)} s")
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
