"""Closing at the deadline: safe to call twice, from any number of workers at once.

Beat hands each due circulation to a task of its own (circulation/jobs/), so thousands of
closes at one 17:00 run on every worker process at once. One close costs a fixed number of
statements whatever the size of the council: the state's compare-and-swap, the circulation,
the audit entry, the seats of the chair, the acting chair and the secretariat, the
recipients with their current replies (the tally), and one INSERT of every summary.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from circulation.mail.circulation import closing_summary
from circulation.mail.consultation import consultation_closing_summary
from circulation.mail.outbox import queue_mails
from circulation.models import Circulation
from circulation.reads.consultation_tally import tally_items
from circulation.reads.records import reply_rows
from circulation.reads.tally import summary_recipients, tally_of
from portal import audit
from portal.models import Membership, Role, User
from portal.permissions import closing_summary_links, deciding_seat


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
        seats = list(
            Membership.objects.on(timezone.localdate(now))
            .filter(
                committee=circulation.committee,
                role__in=[Role.CHAIR, Role.ACTING_CHAIR, Role.SECRETARIAT],
            )
            .select_related("user")
            # Who gets a summary, in which language, and whose name says who decides.
            .only("role", "user__email", "user__full_name", "user__language")
        )
        decider_role, decider = deciding_seat(circulation.committee, seats)
        if circulation.is_consultation:  # the same close; the summary counts votes per item
            _consultation_summaries(circulation, seats, decider_role, decider)
            return True
        recipients = list(summary_recipients(circulation))
        tally = tally_of(recipients)
        # Every opinion for the decider's summary: named or 「委員」 as the council shows
        # members' names (the mail leaves Kairan).
        masked = not circulation.committee.show_member_names
        opinions = [
            row for row in reply_rows(recipients, masked) if row.reply and row.reply.opinion
        ]
        links = closing_summary_links(seats, decider_role, {r.user_id for r in recipients})
        queue_mails(
            [
                closing_summary(
                    circulation,
                    person,
                    tally=tally,
                    decides=decides,
                    decider_role=decider_role,
                    decider=decider,
                    link=links[person.pk],
                    opinions=opinions,
                    masked=masked,
                )
                for person, decides in _summary_people(seats, decider_role)
            ]
        )
    return True


def _summary_people(seats: list[Membership], decider_role: str) -> list[tuple[User, bool]]:
    """Who gets a summary and whether they decide: one summary a person (the outbox would
    drop a second one), the decider's if any of their seats decides."""
    people: dict[int, tuple[User, bool]] = {}
    for seat in seats:
        decides = seat.role == decider_role or people.get(seat.user_id, (None, False))[1]
        people[seat.user_id] = (seat.user, decides)
    return list(people.values())


def _consultation_summaries(
    circulation: Circulation, seats: list[Membership], decider_role: str, decider: object
) -> None:
    """A consultation's summaries: the tally and the proposal per item, and the result page
    (which the chair, the acting chair and the secretariat may all open)."""
    tallies = tally_items(circulation, circulation.consultation)
    queue_mails(
        [
            consultation_closing_summary(
                circulation,
                person,
                decides=decides,
                decider_role=decider_role,
                decider=decider,
                tallies=tallies,
            )
            for person, decides in _summary_people(seats, decider_role)
        ]
    )
