"""Celery tasks. Each one calls a service; none holds business logic of its own."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def deliver_outbox_message(message_id: int) -> None:
    from .delivery import deliver

    deliver(message_id)


@shared_task(ignore_result=True)
def run_due_work() -> None:
    from .due_work import run_due_work as run

    run()


@shared_task(ignore_result=True)
def sweep_outbox() -> None:
    from .delivery import sweep

    sweep()
