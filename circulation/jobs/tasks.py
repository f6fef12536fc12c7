"""Beat's periodic tasks: each calls a function of circulation.jobs; none holds logic of its
own. Task names are kept from the flat layout (``circulation.tasks.*``): beat's schedule and
tasks already queued keep working across a deploy."""

from __future__ import annotations

from celery import shared_task

from circulation.jobs import due
from circulation.mail import delivery


@shared_task(name="circulation.tasks.run_due_work", ignore_result=True)
def run_due_work() -> None:
    due.run_due_work()


@shared_task(name="circulation.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> None:
    delivery.sweep()
    due.record_heartbeat("sweep")
