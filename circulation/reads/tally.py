"""Read-side helpers shared by pages and mails: the tally of a circulation's replies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from circulation.models import Circulation, Recipient, Reply


@dataclass
class Tally:
    recipients: int = 0
    replied: int = 0
    no_opinion: int = 0
    with_opinion: int = 0
    meeting_requested: int = 0
    not_replied: list[Recipient] = field(default_factory=list)


def tally(circulation: Circulation) -> Tally:
    """Counts from each recipient's current reply; one query whatever the number of members."""
    return tally_of(tally_recipients(circulation))


def tally_recipients(circulation: Circulation) -> QuerySet[Recipient]:
    """The recipients a tally counts, with their names and current replies."""
    return circulation.recipients.select_related("user", "current_reply")


# What a closing summary shows of each recipient: a storm closes thousands of circulations
# at one 17:00, and each unused column (a password hash, dates) is built for every row.
SUMMARY_FIELDS = (
    # Read by the related manager to attach the circulation to each row: deferred, it would
    # be a query per recipient.
    "circulation",
    "role",
    "user__full_name",
    "current_reply__kind",
    "current_reply__meeting_needed",
    "current_reply__opinion",
    "current_reply__submitted_at",
)


def summary_recipients(circulation: Circulation) -> QuerySet[Recipient]:
    """`tally_recipients` with only what the tally and the closing summary read."""
    return tally_recipients(circulation).only(*SUMMARY_FIELDS)


def tally_of(recipients: Iterable[Recipient]) -> Tally:
    """The tally of recipients read by `tally_recipients` (no further query)."""
    result = Tally()
    for recipient in recipients:
        result.recipients += 1
        reply = recipient.current_reply
        if reply is None:
            result.not_replied.append(recipient)
            continue
        result.replied += 1
        if reply.kind == Reply.Kind.NO_OPINION:
            result.no_opinion += 1
        else:
            result.with_opinion += 1
        if reply.meeting_needed:
            result.meeting_requested += 1
    return result
