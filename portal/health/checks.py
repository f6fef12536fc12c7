"""Kairan's readiness checks, as django-health-check `HealthCheck`s.

Each check raises `ServiceUnavailable` with a fixed, data-free message; the view shows only
the check's name and "ok" or "fail" (portal/health/views.py), and the library logs the
details (exception included) for the operator.

Checks that read Kairan's tables run through `sync_to_async` (thread-sensitive): in the
request's own thread and database connection, as Django's async views read the ORM, so that
no connection is left open in a worker thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from kombu import Connection

from circulation.jobs.due import beat_is_stale
from circulation.models import OutboxMessage
from portal.celery import app


def broker_connection() -> Connection:
    """A new connection to Celery's broker (Redis, or the demo's folders), with Celery's
    own settings."""
    return app.connection_for_write()


@dataclasses.dataclass
class Broker(HealthCheck):
    """Celery's broker answers (Redis in production: also the cache's server)."""

    timeout = dt.timedelta(seconds=3)

    def run(self) -> None:
        try:
            with broker_connection() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        except Exception as exc:  # kombu and redis raise many kinds; all mean "not reachable"
            raise ServiceUnavailable("broker unreachable") from exc


@dataclasses.dataclass
class BeatHeartbeat(HealthCheck):
    """The due work ran within KAIRAN_BEAT_STALE_SECONDS: beat sends it and a worker runs
    it, so without it no deadline closes and no reminder goes out."""

    async def run(self) -> None:
        if await sync_to_async(_beat_is_stale)():
            raise ServiceUnavailable("due work has not run recently")


def _beat_is_stale() -> bool:
    return beat_is_stale()


@dataclasses.dataclass
class MailQueue(HealthCheck):
    """The oldest mail still waiting to be sent is younger than
    KAIRAN_READY_MAIL_QUEUE_SECONDS: the workers and the SMTP relay keep up."""

    async def run(self) -> None:
        oldest = await sync_to_async(oldest_queued_mail)()
        limit = dt.timedelta(seconds=settings.KAIRAN_READY_MAIL_QUEUE_SECONDS)
        if oldest is not None and oldest < timezone.now() - limit:
            raise ServiceUnavailable("mail waits too long")


def oldest_queued_mail() -> dt.datetime | None:
    """When the oldest message still queued (or being sent) was written."""
    waiting = (OutboxMessage.State.QUEUED, OutboxMessage.State.SENDING)
    return (
        OutboxMessage.objects.filter(state__in=waiting)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
