"""Heartbeats of beat's periodic work (the portal warns when they go stale)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """When a periodic job last ran (one row per job): the portal warns the secretariat when
    beat has been silent for a while, because then no deadline closes and no reminder goes."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


# The meeting and its minutes live in a module of their own (kept short); importing them
# here registers them with the app like every model above.


def record_heartbeat(name: str, now: dt.datetime | None = None) -> None:
    """The periodic work called `name` ran at `now` (one row a name, updated in place)."""
    now = now or timezone.now()
    if not Heartbeat.objects.filter(name=name).update(at=now):
        Heartbeat.objects.get_or_create(name=name, defaults={"at": now})
