"""Fan-out of one circulation to 1,000 recipients into a local SMTP sink: messages per second
through the outbox and real Celery workers (one, then two; warmed up first), from the commit
of the send until the sink holds every message, against raw smtplib over one connection to the
same sink in the same run.

Two sinks: the lean one (bench/lean_sink.py, a process of its own that answers like a
production relay, cheaply) and aiosmtpd (the tests' sink; a Python SMTP server that takes most
of a core at these rates, so it measures itself as much as the client). Each answers DATA at
once (loopback) and after 2 ms (a relay across a network).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mail \
    REDIS_URL=redis://127.0.0.1:6379/13 python -m bench.mail_fanout [--recipients 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.cpu_budget import BusyCores, CpuBudget, split_cores, unavailable
from bench.lean_sink import LeanSink
from bench.mail_common import (
    ROOT,
    bench_database,
    make_council,
    make_draft,
    require_real_parts,
    table,
    write_result,
)
from bench.postfix_sink import PostfixSink, smtp_sink_path


def raw_smtplib(sink: Any, messages: list[tuple[str, bytes]], repeats: int) -> dict[str, float]:
    """The floor: the same rendered messages, one connection, nothing else, sent from this
    process (where the aiosmtpd sink runs too) and from a process of its own (as a worker is);
    the median of `repeats` runs of each."""
    runs = [_raw_once(sink, messages) for _ in range(repeats)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _raw_once(sink: Any, messages: list[tuple[str, bytes]]) -> dict[str, float]:
    start_count = sink.count()
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        for to, data in messages:
            client.sendmail("kairan@city.example.jp", [to], data)
    elapsed = time.monotonic() - started
    assert sink.count() - start_count == len(messages)
    start_count = sink.count()
    separate = _raw_in_a_process_of_its_own(sink.port, messages)
    assert sink.count() - start_count == len(messages)
    return {
        "messages": len(messages),
        "seconds": round(elapsed, 3),
        "per_second": _rate(len(messages), elapsed),
        "separate_process_seconds": round(separate, 3),
        "separate_process_per_second": _rate(len(messages), separate),
    }


_RAW_CLIENT = """
import pickle, smtplib, sys, time
port, messages = pickle.load(sys.stdin.buffer)
with smtplib.SMTP("127.0.0.1", port) as client:
    started = time.monotonic()
    for to, data in messages:
        client.sendmail("kairan@city.example.jp", [to], data)
    print(time.monotonic() - started)
"""


def _raw_in_a_process_of_its_own(port: int, messages: list[tuple[str, bytes]]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _RAW_CLIENT],
        cwd=ROOT,
        input=pickle.dumps((port, messages)),
        capture_output=True,
        check=True,
        timeout=300,
    )
    return float(done.stdout.decode().strip())


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def rendered_messages(council: dict[str, Any]) -> list[tuple[str, bytes]]:
    """Render the notices of one circulation and compose them exactly as delivery does (the
    bytes Django's SMTP backend writes), then drop the rows."""
    from django.db import transaction

    from circulation.mail.composing import build_email
    from circulation.models import OutboxMessage
    from circulation.services.sending import send_circulation

    draft = make_draft(council, _deadline(), title="ベンチ(raw smtplib 用)")
    with transaction.atomic():
        send_circulation(draft.pk, by=council["secretariat"])
        rows = list(OutboxMessage.objects.filter(circulation=draft))
        # Not for the workers: marked sent before the tasks could claim them.
        OutboxMessage.objects.filter(circulation=draft).update(state="sent")
    return [(row.to_email, build_email(row).message().as_bytes(linesep="\r\n")) for row in rows]


def _deadline() -> dt.datetime:
    from django.utils import timezone

    return timezone.now() + dt.timedelta(days=7)


def warm_up(sink: Any, workers: int) -> None:
    """A few one-message tasks first, so that what is measured is running workers, not the
    imports and connections of their first task (a production worker runs for days)."""
    from django.db import transaction

    from circulation.mail import outbox

    start_count = sink.count()
    tasks = 4 * workers
    batch_size, outbox.BATCH_SIZE = outbox.BATCH_SIZE, 1
    try:
        with transaction.atomic():
            for index in range(tasks):
                outbox.queue_rendered_mail(
                    purpose="bench.warm_up",
                    to=f"warm-up-{time.monotonic_ns()}-{index}@example.jp",
                    subject="warm-up",
                    body_text="warm-up",
                )
    finally:
        outbox.BATCH_SIZE = batch_size
    sink.wait_for(lambda: sink.count() - start_count >= tasks, 60, "the warm-up")


def through_workers(
    council: dict[str, Any],
    sink: Any,
    database_url: str,
    workers: int,
    folder: Path,
    *,
    repeats: int,
    cpu_budget: float = 0.0,
    worker_cpus: set[int] | None = None,
    concurrency: int = 1,
) -> dict[str, Any]:
    """`repeats` fan-outs through the same running workers; the median is the figure. With
    `cpu_budget`, each worker is capped at that share of a core, on `worker_cpus`. Each
    worker runs `concurrency` processes (1: one process, the unit the raw client is)."""
    from tests.mail_engine.realparts import Worker, purge_celery_queue, worker_env

    purge_celery_queue()
    env = worker_env(
        database_url, sink.port, folder, KAIRAN_MAIL_REQUEUE_AFTER_SECONDS="600", LOG_LEVEL="ERROR"
    )
    running = [
        Worker(env, folder / f"w{workers}-{i}.log", concurrency=concurrency, beat=False).start()
        for i in range(workers)
    ]
    budgets = [CpuBudget(f"w{i}", cpu_budget) for i in range(workers)] if cpu_budget else []
    try:
        for budget, worker in zip(budgets, running, strict=False):
            assert worker.process is not None
            budget.admit(worker.process.pid, cpus=worker_cpus)
        warm_up(sink, workers)
        runs = [_one_fan_out(council, sink, workers) for _ in range(repeats)]
    finally:
        for worker in running:
            worker.stop()
        for budget in budgets:
            budget.remove()
    middle = sorted(runs, key=lambda run: run["per_second"])[len(runs) // 2]
    return {
        "workers": workers,
        "concurrency": concurrency,
        "cpu_budget_cores": cpu_budget or None,
        **middle,
        "runs": runs,
    }


def _one_fan_out(council: dict[str, Any], sink: Any, workers: int) -> dict[str, Any]:
    from django.db import transaction

    from circulation.services.sending import send_circulation

    draft = make_draft(council, _deadline(), title=f"ベンチ({workers} worker)")
    expected = draft.recipients.count()
    start_count = sink.count()
    started = time.monotonic()
    commit: list[float] = []
    busy = BusyCores()

    def committed_now() -> None:
        commit.append(time.monotonic())
        busy.start()

    with transaction.atomic():
        # Runs first among the commit's callbacks, before any task is published.
        transaction.on_commit(committed_now)
        send_circulation(draft.pk, by=council["secretariat"])
    committed = commit[0]
    sink.wait_for(lambda: sink.count() - start_count >= expected, 300, "the fan-out")
    done = time.monotonic()
    busy.stop()
    return {
        "messages": expected,
        "send_request_seconds": round(committed - started, 3),
        "delivery_seconds": round(done - committed, 3),
        "per_second": _rate(expected, done - committed),
        "end_to_end_per_second": _rate(expected, done - started),
        # From the commit until the sink holds every message: the delivery alone.
        "busy_cores": busy.cores,
    }


def scenario(
    council: dict[str, Any],
    sink: Any,
    database_url: str,
    folder: Path,
    relay_ms: float,
    *,
    repeats: int,
    cpu_budget: float = 0.0,
) -> dict[str, Any]:
    """Raw smtplib, one worker and two workers against a sink answering DATA after
    `relay_ms` (0: loopback, as the issue asks; a few ms: a relay across a network), each
    worker on the whole machine or, with `cpu_budget`, capped at that share of a core."""
    if isinstance(sink, LeanSink):
        sink.delay = relay_ms / 1000
    elif not isinstance(sink, PostfixSink):
        sink.handler.delay = relay_ms / 1000
    raw = raw_smtplib(sink, rendered_messages(council), repeats)
    with ExitStack() as placement:
        worker_cpus = None
        if cpu_budget:
            sink_process = getattr(sink, "_process", None)
            worker_cpus = placement.enter_context(
                split_cores([sink_process.pid] if sink_process is not None else [])
            )
        common = {"repeats": repeats, "cpu_budget": cpu_budget, "worker_cpus": worker_cpus}
        one = through_workers(council, sink, database_url, 1, folder, **common)
        two = through_workers(council, sink, database_url, 2, folder, **common)
        # One worker as docker-compose runs it (--concurrency 4): its processes share the
        # batches of one fan-out (not with a CPU budget, which caps the worker as a whole).
        compose = None
        if not cpu_budget:
            compose = through_workers(
                council, sink, database_url, 1, folder, **common, concurrency=COMPOSE_CONCURRENCY
            )
    cores = os.cpu_count() or 1
    return {
        "sink": _sink_name(sink),
        "relay_ms": relay_ms,
        "worker_cpu_budget_cores": cpu_budget or None,
        # With a budget: PostgreSQL, Redis, the sink and the benchmark on these cores only.
        "worker_cpus": sorted(worker_cpus) if worker_cpus else None,
        "raw_smtplib": raw,
        "one_worker": one,
        "two_workers": two,
        "one_worker_vs_raw": round(one["per_second"] / raw["per_second"], 3),
        # The same topology as the worker's: client and sink in different processes.
        "one_worker_vs_raw_separate_process": round(
            one["per_second"] / raw["separate_process_per_second"], 3
        ),
        "two_vs_one": round(two["per_second"] / one["per_second"], 3),
        "compose_worker": compose,
        "compose_worker_vs_raw_separate_process": (
            round(compose["per_second"] / raw["separate_process_per_second"], 3)
            if compose
            else None
        ),
        # What this machine allows: a second worker has only what the first leaves idle.
        "cores": cores,
        "two_vs_one_ceiling": round(cores / one["busy_cores"], 2) if one["busy_cores"] else None,
    }


# docker-compose.yml's worker: --concurrency ${WORKER_CONCURRENCY:-4}.
COMPOSE_CONCURRENCY = 4


def _sink_name(sink: Any) -> str:
    if isinstance(sink, LeanSink):
        return "lean"
    return "postfix" if isinstance(sink, PostfixSink) else "aiosmtpd"


def _delays_for(kind: str, delays: list[float]) -> list[float]:
    # smtp-sink delays in whole seconds only: it runs as the loopback relay.
    return [ms for ms in delays if ms == 0] if kind == "postfix" else delays


def _sink(kind: str, smtp_sink: Any) -> Any:
    if kind == "lean":
        return LeanSink()
    if kind == "postfix":
        return PostfixSink()
    if kind == "aiosmtpd":
        sink = smtp_sink()
        sink.handler.parse = False  # it only counts
        return sink
    raise SystemExit(f"unknown sink {kind!r}: postfix, lean or aiosmtpd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument(
        "--sinks",
        default="postfix,lean,aiosmtpd",
        help="which sinks, in order: postfix (Postfix's smtp-sink, if found; "
        "bench/postfix_sink.py), lean (bench/lean_sink.py), aiosmtpd (the tests')",
    )
    parser.add_argument(
        "--relay-ms",
        default="0,2",
        help="the sink's delay before answering DATA, per scenario (comma-separated)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="fan-outs per worker count; the median counts"
    )
    parser.add_argument(
        "--worker-cpu",
        type=float,
        default=0.3,
        help="also run the first sink at 0 ms with each worker capped at this share of a core "
        "(workers on hosts of their own; 0: not run; needs a writable cgroup)",
    )
    args = parser.parse_args()
    require_real_parts("mail_fanout")
    from tests.mail_engine.realparts import SmtpSink

    folder = Path(tempfile.mkdtemp(prefix="kairan-fanout-"))
    delays = [float(value) for value in args.relay_ms.split(",") if value.strip()]
    kinds = [value.strip() for value in args.sinks.split(",") if value.strip()]
    if "postfix" in kinds and smtp_sink_path() is None:
        print("mail_fanout: Postfix's smtp-sink not found, not run (see bench/postfix_sink.py)")
        kinds.remove("postfix")
    budget = args.worker_cpu
    if budget and unavailable():
        print(f"mail_fanout: workers on a CPU budget not run: {unavailable()}")
        budget = 0.0
    scenarios: list[dict[str, Any]] = []
    with bench_database() as database_url:
        council = make_council(args.recipients - 2)  # + chair and acting chair
        for index, kind in enumerate(kinds):
            with _sink(kind, SmtpSink) as sink:
                for ms in _delays_for(kind, delays):
                    scenarios.append(
                        scenario(council, sink, database_url, folder, ms, repeats=args.repeats)
                    )
                if index == 0 and budget:
                    scenarios.append(
                        scenario(
                            council,
                            sink,
                            database_url,
                            folder,
                            0,
                            repeats=args.repeats,
                            cpu_budget=budget,
                        )
                    )
    print(f"mail fan-out: {args.recipients} recipients into an SMTP sink on 127.0.0.1")
    print(table([row for run in scenarios for row in _rows(run)]))
    first = scenarios[0]
    path = write_result(
        "mail_fanout",
        {
            "recipients": args.recipients,
            # The first scenario at the top level (loopback by default: the figure).
            **first,
            "scenarios": scenarios,
            "targets": {"one_worker_vs_raw": 0.25, "two_vs_one": 1.8},
        },
    )
    print(f"written {path.relative_to(path.parents[2])}")


def _rows(run: dict[str, Any]) -> list[tuple[str, str]]:
    raw, one, two = run["raw_smtplib"], run["one_worker"], run["two_workers"]
    label = f"[{run['sink']} sink, DATA answered after {run['relay_ms']:g} ms"
    if run["worker_cpu_budget_cores"]:
        cpus = ",".join(str(cpu) for cpu in run.get("worker_cpus") or [])
        label += f", each worker capped at {run['worker_cpu_budget_cores']:g} core"
        label += f" on CPU {cpus}, the rest on the others" if cpus else ""
    label += "]"
    return [
        (f"{label} raw smtplib, one connection, in the benchmark's process",
         f"{raw['per_second']} msg/s"),
        (f"{label} raw smtplib, one connection, in a process of its own",
         f"{raw['separate_process_per_second']} msg/s"),
        (f"{label} outbox + 1 worker",
         f"{one['per_second']} msg/s ({run['one_worker_vs_raw']:.0%} of raw in the benchmark's "
         f"process, {run['one_worker_vs_raw_separate_process']:.0%} of raw in its own); "
         f"{one['busy_cores']} of {run['cores']} cores busy"),
        (f"{label} outbox + 2 workers",
         f"{two['per_second']} msg/s ({run['two_vs_one']}× one worker; this machine allows at "
         f"most {run['two_vs_one_ceiling']}×); {two['busy_cores']} cores busy"),
        (f"{label} send request (render + commit)", f"{one['send_request_seconds']} s"),
        *_compose_rows(label, run),
    ]  # fmt: skip


def _compose_rows(label: str, run: dict[str, Any]) -> list[tuple[str, str]]:
    compose = run.get("compose_worker")
    if not compose:
        return []
    share = run["compose_worker_vs_raw_separate_process"]
    return [
        (
            f"{label} outbox + 1 worker as compose runs it (concurrency {compose['concurrency']})",
            f"{compose['per_second']} msg/s ({share:.0%} of raw in its own process); "
            f"{compose['busy_cores']} cores busy",
        )
    ]


if __name__ == "__main__":
    main()
