"""Read-side helpers shared by pages and mails: the tally of a circulation's replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Circulation, Recipient, Reply


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
    result = Tally()
    recipients = circulation.recipients.select_related("user", "current_reply")
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
