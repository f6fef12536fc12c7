"""The Celery app. Beat's schedule is static and lives here, in code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("kairan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["portal.auditlog"])  # portal.auditlog.tasks (not an app of its own)


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "due-work": {
            "task": "circulation.tasks.run_due_work",
            "schedule": float(settings.KAIRAN_DUE_WORK_SECONDS),
        },
        "outbox-sweep": {
            "task": "circulation.tasks.sweep_outbox",
            "schedule": 60.0,
        },
        # Audit retention, the only deletion of audit entries: daily at 03:17 Japan time
        # (Celery's clock is UTC here: 18:17 UTC).
        "audit-retention": {
            "task": "portal.auditlog.tasks.expire_audit_log",
            "schedule": crontab(hour=18, minute=17),
        },
    }
