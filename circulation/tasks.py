"""Celery tasks. Each one calls a service; none holds business logic of its own.

All three are idempotent: the broker may deliver a task twice (acks_late, a lost worker) and
beat may overlap itself; the row lock, compare-and-swap updates and the outbox's unique key
keep the effect single.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def deliver_outbox_message(message_id: int) -> str:
    from .delivery import deliver

    return deliver(message_id)


@shared_task(ignore_result=True)
def deliver_outbox_batch(message_ids: list[int]) -> dict[int, str]:
    from .delivery import deliver_batch

    return deliver_batch(message_ids)


@shared_task(ignore_result=True)
def run_due_work() -> None:
    from .due_work import run_due_work as run

    run()


@shared_task(ignore_result=True)
def sweep_outbox() -> None:
    from .delivery import sweep
    from .due_work import record_heartbeat

    sweep()
    record_heartbeat("sweep")
