"""Who is told of the chair's decision: the decision service mails them, and the decision's
confirmation step lists them before anything is recorded."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from circulation.models import Circulation
from portal.models import Membership, Role, User


def people_to_tell(circulation: Circulation, now: dt.datetime | None = None) -> list[User]:
    """Every recipient and the committee's sitting secretariat, each once, accounts that are
    switched off left out (two queries)."""
    now = now or timezone.now()
    people: dict[int, User] = {}
    for recipient in circulation.recipients.select_related("user").order_by("user__full_name"):
        people.setdefault(recipient.user_id, recipient.user)
    secretariat = (
        Membership.objects.on(timezone.localdate(now))
        .filter(committee_id=circulation.committee_id, role=Role.SECRETARIAT)
        .select_related("user")
        .order_by("user__full_name")
    )
    for membership in secretariat:
        people.setdefault(membership.user_id, membership.user)
    return [person for person in people.values() if person.is_active]
