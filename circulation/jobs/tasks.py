"""Beat's periodic tasks: each calls a function of circulation.jobs; none holds logic of its
own. Task names are kept from the flat layout (``circulation.tasks.*``): beat's schedule and
tasks already queued keep working across a deploy."""

from __future__ import annotations

from celery import shared_task

from circulation.jobs import due, work
from circulation.mail import delivery
from circulation.models.heartbeat import record_heartbeat


@shared_task(name="circulation.tasks.run_due_work", ignore_result=True)
def run_due_work() -> None:
    due.run_due_work()


@shared_task(name="circulation.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> None:
    delivery.sweep()
    record_heartbeat("sweep")


# One piece of due work each, handed over by run_due_work (circulation/jobs/due.py). `tick`
# is the moment the work is judged at (ISO 8601): the tick's, or for a close handed over ahead
# of its moment, that moment (the task's ETA).


@shared_task(name="circulation.tasks.close_due_circulation", ignore_result=True)
def close_due_circulation(circulation_id: int, tick: str) -> bool:
    return work.close_due_circulation(circulation_id, due.task_moment(tick))


@shared_task(name="circulation.tasks.queue_due_reminders", ignore_result=True)
def queue_due_reminders(circulation_id: int, tick: str) -> int:
    return work.queue_due_reminders(circulation_id, due.task_moment(tick))


@shared_task(name="circulation.tasks.queue_due_chair_reminder", ignore_result=True)
def queue_due_chair_reminder(circulation_id: int, tick: str) -> bool:
    return work.queue_due_chair_reminder(circulation_id, due.task_moment(tick))


@shared_task(name="circulation.tasks.queue_due_meeting_reminder", ignore_result=True)
def queue_due_meeting_reminder(meeting_id: int, tick: str) -> bool:
    return work.queue_due_meeting_reminder(meeting_id, due.task_moment(tick))
