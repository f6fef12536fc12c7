"""Which held and unmatched mail a committee's secretariat sees (the rule of
circulation/inbound/secretariat.py, kept here so that read-side pages such as the to-do list
can count it too).

- a message matched to a circulation (held, or any processed one): that committee only;
- an unmatched message from a registered person: the committees that person sits on (any
  term), so a forgotten token does not send a member's words to other councils;
- an unmatched message that belongs to no council (from an address nobody is registered
  with, or a person on no committee): no council's secretariat, only the site's staff
  (Django's is_staff or is_superuser, circulation/views/staff_mail.py), who discard it or
  hand it to the council it belongs to.
"""

from __future__ import annotations

from django.db.models import Q

from circulation.models import InboundMessage
from portal.models import Membership


def visible_q(committee_id: int) -> Q:
    """The messages the committee's secretariat sees, as a condition on InboundMessage
    (received but not yet processed ones aside)."""
    members_here = Membership.objects.filter(committee_id=committee_id).values("user_id")
    unmatched_here = Q(committee__isnull=True) & Q(sender_user__in=members_here)
    return (Q(committee_id=committee_id) | unmatched_here) & ~Q(state=InboundMessage.State.RECEIVED)


def waiting_q(committee_id: int) -> Q:
    """The messages waiting for the committee's secretariat (held or unmatched)."""
    return visible_q(committee_id) & Q(state__in=InboundMessage.NEEDS_ATTENTION)
