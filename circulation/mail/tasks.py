"""Delivery tasks: each calls circulation.mail.delivery; none holds logic of its own.

Both are idempotent: the broker may deliver a task twice (acks_late, a lost worker); the row
lock, compare-and-swap updates and the outbox's unique key keep the effect single. The task
names are those of the flat layout (``circulation.tasks.*``) so that tasks queued before a
deploy still find their function after it.
"""

from __future__ import annotations

from celery import Task, shared_task

from circulation.mail import delivery, outbox


@shared_task(name="circulation.tasks.deliver_outbox_message", ignore_result=True)
def deliver_outbox_message(message_id: int) -> str:
    return delivery.deliver(message_id)


@shared_task(bind=True, name="circulation.tasks.deliver_outbox_batch", ignore_result=True)
def deliver_outbox_batch(self: Task, message_ids: list[int]) -> dict[int, str]:
    # On a worker, a small batch (a close's three summaries) takes other waiting rows along
    # (delivery.claim_batch). Run eagerly (in a web request, the MTA's pipe), it sends only
    # its own rows: the process that queued them is waiting.
    fill_to = 0 if self.request.is_eager else outbox.BATCH_SIZE
    return delivery.deliver_batch(message_ids, fill_to=fill_to)
