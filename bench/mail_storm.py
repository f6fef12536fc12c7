"""Deadline storm: N councils whose circulations share one deadline (the 17:00 at the end of
a fiscal year). Reports deadline → all closed → all closing summaries in the SMTP sink, with
real beat (tick KAIRAN_DUE_WORK_SECONDS, 10 s by default), real workers on Redis and
PostgreSQL, and the lean sink. Closes start at the deadline plus the replies' grace (10 s).
Also the whole machine's busy CPU over that time, per close: N closes within T seconds of the
deadline on C cores need at most (T − grace) × C / N of it.

Each council has 15 people (secretariat, chair, acting chair, 12 members); its circulation was
sent to the 14 sitting members. Two set-ups: one worker process (concurrency 4, as compose
sets it) and two worker processes pinned to a core each (concurrency 2 each). Then, for
--budget-councils, one and two workers (concurrency 4 each) each capped at --worker-cpu of a
core on a core of their own, with PostgreSQL, Redis and the sink on the other: twice the
worker CPU, as a second worker host gives, while the services keep theirs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mail \
    REDIS_URL=redis://127.0.0.1:6379/13 python -m bench.mail_storm [--councils 100 1000 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import analyze
from bench.cpu_budget import BusyCores, CpuBudget, split_cores, unavailable
from bench.mail_common import (
    ROOT,
    bench_database,
    require_real_parts,
    table,
    write_result,
)

MEMBERS = 12  # + secretariat, chair, acting chair = 15 people
GRACE_SECONDS = 10  # KAIRAN_REPLY_GRACE_SECONDS: closes start this long after the deadline


def seed(councils: int, deadline: dt.datetime) -> None:
    """The councils, their people and one open circulation each, written in bulk (the
    benchmark measures the close, not the sending)."""
    from circulation.models import Circulation, Recipient
    from portal.models import Committee, Membership, Role, User

    today = dt.date.today()
    # No reminders: the sink counts the closing summaries only.
    committees = Committee.objects.bulk_create(
        Committee(name=f"審議会 {i:05d}", reminder_offsets_hours=[]) for i in range(councils)
    )
    roles = [Role.SECRETARIAT, Role.CHAIR, Role.ACTING_CHAIR] + [Role.MEMBER] * MEMBERS
    users = User.objects.bulk_create(
        User(email=f"p{n:02d}-{c.pk}@example.jp", full_name=f"委員 {n}")
        for c in committees
        for n in range(len(roles))
    )
    seats = []
    for index, committee in enumerate(committees):
        people = users[index * len(roles) : (index + 1) * len(roles)]
        seats += [
            Membership(
                user=user,
                committee=committee,
                role=role,
                term_start=today - dt.timedelta(days=30),
                term_end=today + dt.timedelta(days=700),
            )
            for user, role in zip(people, roles, strict=True)
        ]
    Membership.objects.bulk_create(seats, batch_size=5000)
    now = deadline - dt.timedelta(days=7)
    circulations = Circulation.objects.bulk_create(
        Circulation(
            committee=c,
            title="年度末の書面照会",
            explanation="資料をご確認ください。",
            deadline=deadline,
            state=Circulation.State.OPEN,
            sent_at=now,
            created_at=now,
            created_by=users[i * len(roles)],
        )
        for i, c in enumerate(committees)
    )
    Recipient.objects.bulk_create(
        (
            Recipient(circulation=circulation, user=user)
            for index, circulation in enumerate(circulations)
            for user in users[index * len(roles) + 1 : (index + 1) * len(roles)]
        ),
        batch_size=5000,
    )
    analyze()


def start_worker(
    env: dict[str, str], log: Path, name: str, cpus: str, concurrency: int, beat: bool
) -> subprocess.Popen[bytes]:
    args = [
        "taskset",
        "-c",
        cpus,
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-l",
        "WARNING",
        "-c",
        str(concurrency),
        "-n",
        f"{name}@%h",
        "--prefetch-multiplier",
        "1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat:
        args += ["-B", "-s", str(log.parent / f"beat-{name}")]
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def run(councils: int, workers: int, interval: int, cpu_budget: float = 0.0) -> dict[str, Any]:
    """One storm. With `cpu_budget`, every worker (concurrency 4, as compose sets it) is capped
    at that share of a core on the second half of the cores, and PostgreSQL, Redis, the sink
    and the benchmark keep the first half: two such workers have twice the worker CPU of one,
    as two worker hosts would (bench/cpu_budget.py)."""
    from django.db.models import Max

    from bench.lean_sink import LeanSink
    from bench.postfix_sink import PostfixSink, smtp_sink_path
    from circulation.models import Circulation
    from portal.models import AuditEntry
    from tests.mail_engine.realparts import purge_celery_queue, worker_env

    folder = Path(tempfile.mkdtemp(prefix="kairan-storm-"))
    # Capped workers are measured against Postfix's smtp-sink where there is one: a sink in C
    # leaves the services' core to PostgreSQL and Redis, so the workers are what runs out.
    sink_factory = PostfixSink if cpu_budget and smtp_sink_path() else LeanSink
    with bench_database() as database_url, sink_factory() as sink:
        purge_celery_queue()
        started = time.monotonic()
        # Far enough ahead for the seeding and the workers' start; set again just below.
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        seed(councils, deadline)
        seeded = time.monotonic() - started
        env = worker_env(
            database_url,
            sink.port,
            folder,
            KAIRAN_DUE_WORK_SECONDS=str(interval),
            KAIRAN_REPLY_GRACE_SECONDS=str(GRACE_SECONDS),
            KAIRAN_SWEEP_SECONDS="30",
            KAIRAN_MAIL_REQUEUE_AFTER_SECONDS="120",
            LOG_LEVEL="ERROR",
        )
        placement = ExitStack()
        if cpu_budget:
            worker_cpus = placement.enter_context(split_cores([sink.pid] if sink.pid else []))
            cpus = ",".join(str(cpu) for cpu in sorted(worker_cpus))
            layout = [(f"storm{i + 1}", cpus, 4, i == 0) for i in range(workers)]
        else:
            layout = (
                [("storm1", "0-1", 4, True)]
                if workers == 1
                else [("storm1", "0", 2, True), ("storm2", "1", 2, False)]
            )
        processes = [
            start_worker(env, folder / f"{name}.log", name, cpus, concurrency, beat)
            for name, cpus, concurrency, beat in layout
        ]
        budgets = [CpuBudget(f"storm{i}", cpu_budget) for i in range(workers)] if cpu_budget else []
        try:
            time.sleep(8)  # the workers import and connect (and fork their pools)
            for budget, process in zip(budgets, processes, strict=False):
                budget.admit(process.pid)
            deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
            # The whole machine's CPU from here to the last summary: what a close costs,
            # PostgreSQL, Redis, the sink and Celery included (steadier than the seconds on
            # a shared machine).
            busy, measured_from = BusyCores(), time.monotonic()
            busy.start()
            Circulation.objects.update(deadline=deadline)
            wanted = 3 * councils
            limit = time.monotonic() + 10 + 3 * interval + councils * 0.1
            while sink.count() < wanted and time.monotonic() < limit:
                time.sleep(0.05)
            summaries_at = dt.datetime.now(dt.UTC)
            busy.stop()
            cpu_seconds = busy.cores * (time.monotonic() - measured_from)
            delivered = sink.count()
            open_left = Circulation.objects.filter(state=Circulation.State.OPEN).count()
            last_close = AuditEntry.objects.filter(action="circulation.closed").aggregate(
                last=Max("at")
            )["last"]
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:  # a capped worker still busy: no waiting
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
            for budget in budgets:
                budget.remove()
            placement.close()
    return {
        "councils": councils,
        "workers": workers,
        "worker_cpu_budget_cores": cpu_budget or None,
        "sink": "postfix" if sink_factory is PostfixSink else "lean",
        "seed_seconds": round(seeded, 1),
        "all_closed_after_deadline_seconds": (
            round((last_close - deadline).total_seconds(), 1) if not open_left else None
        ),
        "all_summaries_after_deadline_seconds": (
            round((summaries_at - deadline).total_seconds(), 1) if delivered >= wanted else None
        ),
        "machine_cpu_ms_per_close": round(cpu_seconds * 1000 / councils, 1),
        "summaries_delivered": delivered,
        "summaries_wanted": wanted,
        "still_open": open_left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--councils",
        type=int,
        nargs="*",
        default=[100, 1000, 5000],
        help="council counts, each with one and two workers (none: only the capped runs)",
    )
    parser.add_argument("--interval", type=int, default=10, help="KAIRAN_DUE_WORK_SECONDS")
    parser.add_argument(
        "--worker-cpu",
        type=float,
        default=0.3,
        help="also one and two workers each capped at this share of a core (0: not run; "
        "needs a writable cgroup)",
    )
    parser.add_argument("--budget-councils", type=int, default=1000)
    args = parser.parse_args()
    require_real_parts("mail_storm")
    if os.system("command -v taskset >/dev/null") != 0:
        print("mail_storm: skipped (needs taskset, util-linux)")
        return
    runs = [run(n, w, args.interval) for n in args.councils for w in (1, 2)]
    budget = args.worker_cpu
    if budget and unavailable():
        print(f"mail_storm: workers on a CPU budget not run: {unavailable()}")
        budget = 0.0
    if budget:
        runs += [run(args.budget_councils, w, args.interval, budget) for w in (1, 2)]
    rows = [
        (
            f"{r['councils']} councils, {r['workers']} worker process(es)"
            + (
                f", each capped at {r['worker_cpu_budget_cores']:g} core"
                if r.get("worker_cpu_budget_cores")
                else ""
            ),
            f"closed {r['all_closed_after_deadline_seconds']} s, summaries "
            f"{r['all_summaries_after_deadline_seconds']} s "
            f"({r['summaries_delivered']}/{r['summaries_wanted']}), "
            f"{r['machine_cpu_ms_per_close']} ms of CPU per close",
        )
        for r in runs
    ]
    print("deadline storm: deadline → all closed → all summaries in the sink")
    print(table(rows))
    scaling = _scaling(runs)
    if scaling:
        print(table([("twice the worker CPU (from the close moment, deadline + grace)",
                      f"{scaling['after_close_moment']}× faster ({scaling['from_deadline']}× "
                      "from the deadline)")]))  # fmt: skip
    path = write_result(
        "mail_storm",
        {"interval": args.interval, "grace": GRACE_SECONDS, "runs": runs, "scaling": scaling},
    )
    print(f"written {path.relative_to(path.parents[2])}")


def _scaling(runs: list[dict[str, Any]]) -> dict[str, float] | None:
    """One worker against two, each on the same CPU budget: how much faster two are."""
    capped = {r["workers"]: r for r in runs if r.get("worker_cpu_budget_cores")}
    one, two = capped.get(1), capped.get(2)
    if not (one and two) or None in (
        one["all_summaries_after_deadline_seconds"],
        two["all_summaries_after_deadline_seconds"],
    ):
        return None
    a, b = one["all_summaries_after_deadline_seconds"], two["all_summaries_after_deadline_seconds"]
    return {
        "from_deadline": round(a / b, 2),
        # The grace is a wait, not work: no worker CPU makes it shorter.
        "after_close_moment": round((a - GRACE_SECONDS) / (b - GRACE_SECONDS), 2),
    }


if __name__ == "__main__":
    main()
