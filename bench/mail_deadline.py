"""Deadline → chair summary delivered: how long after its deadline the chair, the acting
chair and the secretariat have the closing summary in their SMTP server, with a real worker
and beat (due work every KAIRAN_DUE_WORK_SECONDS, default 10 s) on Redis and PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mail \
    REDIS_URL=redis://127.0.0.1:6379/13 python -m bench.mail_deadline [--circulations 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from bench.mail_common import (
    bench_database,
    distribution,
    make_council,
    make_draft,
    require_real_parts,
    table,
    write_result,
)


def _summary(d: dict[str, float]) -> str:
    return f"median {d['median']}  p95 {d['p95']}  max {d['max']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--circulations", type=int, default=20)
    parser.add_argument("--interval", type=int, default=10, help="KAIRAN_DUE_WORK_SECONDS")
    args = parser.parse_args()
    require_real_parts("mail_deadline")
    from django.utils import timezone

    from circulation.models import Circulation, OutboxMessage
    from circulation.services.sending import send_circulation
    from tests.mail_engine.realparts import SmtpSink, Worker, purge_celery_queue, worker_env

    folder = Path(tempfile.mkdtemp(prefix="kairan-deadline-"))
    with bench_database() as database_url, SmtpSink() as sink:
        purge_celery_queue()
        council = make_council(10)
        env = worker_env(
            database_url,
            sink.port,
            folder,
            KAIRAN_DUE_WORK_SECONDS=str(args.interval),
            KAIRAN_SWEEP_SECONDS="10",
            KAIRAN_MAIL_REQUEUE_AFTER_SECONDS="60",
            LOG_LEVEL="ERROR",
        )
        worker = Worker(env, folder / "worker.log", concurrency=2, beat=True).start()
        try:
            # Deadlines spread over one beat period, so every phase of the tick is sampled.
            first = timezone.now() + dt.timedelta(seconds=10)
            step = args.interval / args.circulations
            deadlines = {}
            for i in range(args.circulations):
                deadline = first + dt.timedelta(seconds=i * step)
                draft = make_draft(council, deadline, title=f"締切ベンチ {i}")
                send_circulation(draft.pk, by=council["secretariat"])
                deadlines[draft.pk] = deadline
            wanted = 3 * args.circulations  # chair, acting chair, secretariat
            timeout = args.interval * 2 + 10 + 120

            def summaries() -> dict[int, float]:
                at = {item.message["Message-ID"]: item.at for item in sink.messages()}
                found = OutboxMessage.objects.filter(
                    message_id__in=list(at), purpose="circulation.closing_summary"
                ).values_list("pk", "message_id")
                ids = {pk: at[message_id] for pk, message_id in found}
                rows = OutboxMessage.objects.filter(pk__in=list(ids)).values_list(
                    "pk", "circulation_id"
                )
                latest: dict[int, float] = {}
                for pk, circulation_id in rows:
                    latest[circulation_id] = max(latest.get(circulation_id, 0.0), ids[pk])
                return latest if len(rows) >= wanted else {}

            sink.wait_for(lambda: summaries(), timeout, "every closing summary")
            received = summaries()
        finally:
            worker.stop()
        delivered = [received[pk] - deadline.timestamp() for pk, deadline in deadlines.items()]
        closed = [
            (closed_at - deadlines[pk]).total_seconds()
            for pk, closed_at in Circulation.objects.filter(pk__in=deadlines).values_list(
                "pk", "closed_at"
            )
        ]
    result = {
        "circulations": args.circulations,
        "due_work_seconds": args.interval,
        "closed_after_deadline_seconds": distribution(closed),
        "summary_delivered_after_deadline_seconds": distribution(delivered),
        "target_seconds": 60,
    }
    delivered_d = result["summary_delivered_after_deadline_seconds"]
    closed_d = result["closed_after_deadline_seconds"]
    print(
        f"deadline → chair summary delivered ({args.circulations} circulations,"
        f" beat every {args.interval} s)"
    )
    print(
        table(
            [
                ("closed after deadline (s)", _summary(closed_d)),
                ("summary delivered (s)", _summary(delivered_d)),
            ]
        )
    )
    path = write_result("mail_deadline", result)
    print(f"written {path.relative_to(path.parents[2])}")


if __name__ == "__main__":
    main()
