"""Beat's daily retention job: it only lists (portal/retention/services.py)."""

from celery import shared_task


@shared_task(ignore_result=True)
def list_due_records() -> int:
    from .services import list_due

    return list_due()
