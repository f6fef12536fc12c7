"""Beat's own heartbeat: beat writes it each time it sends a periodic task, so that its
container's health check (`manage.py probe beat`) and the staff status page see beat itself,
apart from the workers that run what it sends (their sign is the due work's heartbeat,
circulation.jobs.due.BEAT)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from circulation.models.heartbeat import Heartbeat, record_heartbeat

log = logging.getLogger(__name__)

BEAT_TICK = "beat"  # Heartbeat.name of beat's last sending
DUE_WORK = "due_work"  # written by the worker that ran the due work (circulation.jobs.due)
SWEEP = "sweep"  # written by the worker that ran the outbox sweep (circulation.tasks)


def record_beat_tick(now: dt.datetime | None = None) -> None:
    """Called in the beat process when it sends a task. A database that is down must not stop
    beat from sending: the failure is logged, and the next tick tries again."""
    # Beat is one long-lived process with no requests: drop a connection that broke (a
    # restarted PostgreSQL) or outlived CONN_MAX_AGE, as Django does before each request.
    if not connection.in_atomic_block:  # never a caller's transaction's connection
        close_old_connections()
    try:
        record_heartbeat(BEAT_TICK, now or timezone.now())
    except DatabaseError:
        log.warning("beat: could not record its heartbeat", exc_info=True)


def last_seen(name: str) -> dt.datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
