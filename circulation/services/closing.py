"""Closing at the deadline: safe to call twice, from any number of workers at once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from circulation.mail.circulation import send_closing_summary
from circulation.mail.consultation import send_consultation_closing_summary
from circulation.models import Circulation
from circulation.reads.consultation_tally import tally_items
from portal import audit
from portal.models import Membership, Role, User
from portal.permissions import decider_of, remember_receipt, remembering


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
        day = timezone.localdate(now)
        decider_role, decider = decider_of(circulation.committee, day)
        seats = (
            Membership.objects.on(day)
            .filter(
                committee=circulation.committee,
                role__in=[Role.CHAIR, Role.ACTING_CHAIR, Role.SECRETARIAT],
            )
            .select_related("user")
        )
        # One summary a person (the outbox would drop a second one): the decider's if any.
        people: dict[int, tuple[User, bool]] = {}
        for seat in seats:
            decides = seat.role == decider_role or people.get(seat.user_id, (None, False))[1]
            people[seat.user_id] = (seat.user, decides)
        # Each summary's link is asked of the permission rules (it must open for its
        # recipient): with their receipts read at once and the answers kept meanwhile.
        if circulation.is_consultation:  # the same close; the summary counts votes per item
            tallies = tally_items(circulation, circulation.consultation)
            for person, decides in people.values():
                send_consultation_closing_summary(
                    circulation, person, decides=decides, decider_role=decider_role,
                    decider=decider, tallies=tallies,
                )  # fmt: skip
            return True
        receipts = {r.user_id: r for r in circulation.recipients.filter(user_id__in=people)}
        with remembering():
            for person, decides in people.values():
                remember_receipt(circulation, person.pk, receipts.get(person.pk))
                send_closing_summary(
                    circulation, person, decides=decides, decider_role=decider_role,
                    decider=decider,
                )  # fmt: skip
    return True
