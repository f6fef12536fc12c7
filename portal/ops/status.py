"""What the operators watch, read in a few indexed queries: the mail queue (queued, being
sent, failed, the oldest waiting), mail received and held for the secretariat, when beat
last sent its ticks and when a worker last ran the due work and the sweep. The status page
and the metrics text (portal/ops/views.py) show the same figures; no content, no addresses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min
from django.utils import timezone

from circulation.models import Heartbeat, InboundMessage, OutboxMessage

from .heartbeats import BEAT_TICK, DUE_WORK, SWEEP


@dataclass(frozen=True)
class SiteStatus:
    now: dt.datetime
    mail: dict[str, int]  # outbox rows per state: queued, sending, failed
    oldest_queued: dt.datetime | None
    inbound_held: int  # held or unmatched: waiting for a secretariat
    inbound_unprocessed: int  # stored, not yet processed (a crash between the two steps)
    beat_tick: dt.datetime | None  # beat last sent a periodic task
    due_work: dt.datetime | None  # a worker last ran the due work (the workers are alive)
    sweep: dt.datetime | None

    @property
    def oldest_queued_age(self) -> dt.timedelta | None:
        return self.now - self.oldest_queued if self.oldest_queued else None


WATCHED_STATES = ("queued", "sending", "failed")


def site_status(now: dt.datetime | None = None) -> SiteStatus:
    now = now or timezone.now()
    counts = dict.fromkeys(WATCHED_STATES, 0)
    counts.update(
        OutboxMessage.objects.filter(state__in=WATCHED_STATES)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    oldest = OutboxMessage.objects.filter(
        state__in=(OutboxMessage.State.QUEUED, OutboxMessage.State.SENDING)
    ).aggregate(oldest=Min("created_at"))["oldest"]
    inbound = dict(
        InboundMessage.objects.filter(
            state__in=(*InboundMessage.NEEDS_ATTENTION, InboundMessage.State.RECEIVED)
        )
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    beats = dict(
        Heartbeat.objects.filter(name__in=(BEAT_TICK, DUE_WORK, SWEEP)).values_list("name", "at")
    )
    return SiteStatus(
        now=now,
        mail=counts,
        oldest_queued=oldest,
        inbound_held=sum(inbound.get(state, 0) for state in InboundMessage.NEEDS_ATTENTION),
        inbound_unprocessed=inbound.get(InboundMessage.State.RECEIVED, 0),
        beat_tick=beats.get(BEAT_TICK),
        due_work=beats.get(DUE_WORK),
        sweep=beats.get(SWEEP),
    )


def metrics_text(status: SiteStatus) -> str:
    """Prometheus's text exposition format (version 0.0.4): a handful of gauges."""

    def stamp(moment: dt.datetime | None) -> str:
        return f"{moment.timestamp():.3f}" if moment else "NaN"

    age = status.oldest_queued_age
    lines = [
        "# HELP kairan_outbox_messages Outgoing mail by state (queued, sending, failed).",
        "# TYPE kairan_outbox_messages gauge",
        *(f'kairan_outbox_messages{{state="{s}"}} {n}' for s, n in status.mail.items()),
        "# HELP kairan_outbox_oldest_waiting_seconds Age of the oldest mail not yet sent.",
        "# TYPE kairan_outbox_oldest_waiting_seconds gauge",
        f"kairan_outbox_oldest_waiting_seconds {age.total_seconds() if age else 0:.0f}",
        "# HELP kairan_inbound_held_messages Received mail waiting for a secretariat.",
        "# TYPE kairan_inbound_held_messages gauge",
        f"kairan_inbound_held_messages {status.inbound_held}",
        "# HELP kairan_inbound_unprocessed_messages Received mail stored but not processed.",
        "# TYPE kairan_inbound_unprocessed_messages gauge",
        f"kairan_inbound_unprocessed_messages {status.inbound_unprocessed}",
        "# HELP kairan_heartbeat_timestamp_seconds Last beat tick, due work and sweep (Unix time).",
        "# TYPE kairan_heartbeat_timestamp_seconds gauge",
        f'kairan_heartbeat_timestamp_seconds{{job="beat"}} {stamp(status.beat_tick)}',
        f'kairan_heartbeat_timestamp_seconds{{job="due_work"}} {stamp(status.due_work)}',
        f'kairan_heartbeat_timestamp_seconds{{job="sweep"}} {stamp(status.sweep)}',
    ]
    return "\n".join(lines) + "\n"
