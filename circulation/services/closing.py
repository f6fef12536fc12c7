"""Closing at the deadline: safe to call twice, from any number of workers at once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.models import Membership, Role
from portal.permissions import acting_decider_role

from ..mails import send_closing_summary
from ..models import Circulation


def close_circulation(circulation_id: int, *, now: dt.datetime | None = None) -> bool:
    """Close an open circulation whose deadline has passed. Returns True only for the one
    call that closed it; the chair, the acting chair and the secretariat get the summary."""
    now = now or timezone.now()
    with transaction.atomic():
        # Compare-and-swap on the state: of two racing callers exactly one updates the row.
        closed = Circulation.objects.filter(
            pk=circulation_id, state=Circulation.State.OPEN, deadline__lte=now
        ).update(state=Circulation.State.CLOSED, closed_at=now, updated_at=now)
        if not closed:
            return False
        circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
        audit.record("circulation.closed", obj=circulation, actor_label="system")
        decider = acting_decider_role(circulation.committee, timezone.localdate(now))
        people = (
            Membership.objects.on(timezone.localdate(now))
            .filter(
                committee=circulation.committee,
                role__in=[Role.CHAIR, Role.ACTING_CHAIR, Role.SECRETARIAT],
            )
            .select_related("user")
        )
        for membership in people:
            send_closing_summary(circulation, membership.user, decides=membership.role == decider)
    return True
