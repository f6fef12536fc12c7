"""Beat's due-work query with 10,000 open circulations: time and number of queries of one
tick in the steady state (every due reminder already queued by earlier ticks), compared with
1,000 circulations to show the query count does not grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mail \
    REDIS_URL=redis://127.0.0.1:6379/13 python -m bench.mail_due_work [--circulations 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

from bench.common import analyze
from bench.mail_common import bench_database, make_council, require_real_parts, table, write_result

RECIPIENTS = 5


def populate(total: int, council: dict[str, Any], now: dt.datetime) -> None:
    """`total` open circulations, deadlines spread over the next ten days, five recipients
    each; the reminders due now are already in the outbox (queued by earlier ticks)."""
    from circulation.models import Circulation, OutboxMessage, Recipient

    people = council["sitting"][:RECIPIENTS]
    batch = 2000
    for start in range(0, total, batch):
        circulations = Circulation.objects.bulk_create(
            Circulation(
                committee=council["committee"],
                title=f"ベンチ {i}",
                deadline=now + dt.timedelta(minutes=1 + (i * 14397 % 14400)),
                state=Circulation.State.OPEN,
                sent_at=now - dt.timedelta(days=1),
                created_by=council["secretariat"],
            )
            for i in range(start, min(start + batch, total))
        )
        Recipient.objects.bulk_create(
            Recipient(circulation=c, user=user) for c in circulations for user in people
        )
        reminders = []
        for c in circulations:
            left = c.deadline - now
            key = "24h" if left <= dt.timedelta(hours=24) else "72h"
            if left <= dt.timedelta(hours=72):
                reminders += [
                    OutboxMessage(
                        purpose="circulation.reminder",
                        to_email=user.email,
                        to_user=user,
                        circulation=c,
                        deadline_version=1,
                        key=key,
                        subject="督促",
                        body_text="…",
                        state=OutboxMessage.State.SENT,
                    )
                    for user in people
                ]
        OutboxMessage.objects.bulk_create(reminders)


def measure(now: dt.datetime, rounds: int = 5) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circulation.jobs.due import run_due_work

    run_due_work(now=now)  # creates the heartbeat row
    seconds, queries = [], []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            report = run_due_work(now=now)
            seconds.append(time.perf_counter() - started)
        queries.append(len(captured))
        assert report.reminders == 0 and not report.closed, report
    return {
        "queries": queries[0],
        "queries_all_rounds": sorted(set(queries)),
        "median_seconds": round(statistics.median(seconds), 4),
        "max_seconds": round(max(seconds), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--circulations", type=int, default=10_000)
    args = parser.parse_args()
    require_real_parts("mail_due_work")
    from django.utils import timezone

    now = timezone.now()
    results = {}
    with bench_database():
        council = make_council(RECIPIENTS)
        done = 0
        for size in sorted({1000, args.circulations}):
            populate(size - done, council, now)
            done = size
            analyze()
            results[size] = measure(now)
    rows = [
        (
            f"{size:,} open circulations",
            f"{r['queries']} queries, median {r['median_seconds']} s, max {r['max_seconds']} s",
        )
        for size, r in results.items()
    ]
    print("due work, one beat tick in the steady state")
    print(table(rows))
    path = write_result(
        "mail_due_work",
        {
            "recipients_per_circulation": RECIPIENTS,
            "by_open_circulations": {str(k): v for k, v in results.items()},
            "target": "constant number of queries, < 1 s",
        },
    )
    print(f"written {path.relative_to(path.parents[2])}")


if __name__ == "__main__":
    main()
