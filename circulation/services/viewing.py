"""Looking at a circulation is an operation the council must be able to account for
(issue: security and audit): every view of its pages is in the operation log."""

from __future__ import annotations

from circulation.models import Circulation
from portal import audit
from portal.models import User


def record_circulation_view(circulation: Circulation, *, user: User, page: str) -> None:
    """`page`: which page was shown — "member" (the circulation page), "tracking",
    "decision" or "record". One INSERT; the committee is already loaded by the gate."""
    audit.record(
        "circulation.viewed",
        actor=user,
        obj=circulation,
        committee=circulation.committee,
        data={"page": page, "state": circulation.state},
    )
