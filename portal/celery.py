"""The Celery app. Beat's schedule is static and lives here, in code.

Beat only ever runs two short periodic queries; nothing is scheduled ahead as an ETA task
(a reminder due in three days would sit in Redis past its visibility timeout and come back
twice). `expires` drops ticks that waited in the queue longer than their own period (a
worker that was down): the next tick does the same work.
"""

import os

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import beat_init, before_task_publish, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("kairan")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live beside what they run: circulation/mail/tasks.py (delivery) and
# circulation/jobs/tasks.py (beat's periodic work); portal.auditlog.tasks (retention).
app.autodiscover_tasks(
    ["circulation.mail", "circulation.jobs", "portal.auditlog", "portal.retention"]
)


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    due_work = float(settings.KAIRAN_DUE_WORK_SECONDS)
    sweep = float(settings.KAIRAN_SWEEP_SECONDS)
    sender.conf.beat_schedule = {
        "due-work": {
            "task": "circulation.tasks.run_due_work",
            "schedule": due_work,
            "options": {"expires": due_work * 2},
        },
        "outbox-sweep": {
            "task": "circulation.tasks.sweep_outbox",
            "schedule": sweep,
            "options": {"expires": sweep * 2},
        },
        # Audit retention, the only deletion of audit entries: daily at 03:17 Japan time
        # (Celery's clock is UTC here: 18:17 UTC).
        "audit-retention": {
            "task": "portal.auditlog.tasks.expire_audit_log",
            "schedule": crontab(hour=18, minute=17),
        },
        # Records past their retention period, listed for each council's secretariat
        # (nothing is removed): daily at 03:47 Japan time.
        "retention-list": {
            "task": "portal.retention.tasks.list_due_records",
            "schedule": crontab(hour=18, minute=47),
        },
    }


# Set in the beat process only (beat_init), so that publishing elsewhere (web, worker)
# records nothing.
BEAT_PROCESS = {"running": False}


@beat_init.connect
def _beat_started(**_: object) -> None:
    BEAT_PROCESS["running"] = True


@before_task_publish.connect
def _beat_sends(**_: object) -> None:
    """Beat's heartbeat (portal/ops/heartbeats.py): one row updated per tick it sends."""
    if BEAT_PROCESS["running"]:
        # This module loads before Django is set up (`celery -A portal`); models only now.
        from portal.ops.heartbeats import record_beat_tick

        record_beat_tick()


@task_prerun.connect
def _close_old_database_connections(task: Task | None = None, **_: object) -> None:
    """Before each task, what Django does before each request: drop a connection that broke
    or outlived CONN_MAX_AGE, keep the others (settings.CELERY_DB_REUSE_MAX turns off
    Celery's close-everything). Eager tasks run inside the caller's transaction: untouched."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
