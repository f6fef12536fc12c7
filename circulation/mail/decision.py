"""Mail of the chair's decision: one function per mail, each writes one outbox row."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from circulation.mail.circulation import decision_url
from circulation.mail.outbox import queue_mail
from circulation.models import Circulation, Decision, OutboxMessage
from circulation.reads.tally import tally
from portal.models import User


def decision_record_url(circulation_id: int) -> str:
    return settings.SITE_URL + reverse("decision_record", args=[circulation_id])


def queue_decision_notice(decision: Decision, to: User) -> OutboxMessage | None:
    """The decision notice (開催の要否のお知らせ) to one recipient or secretariat member:
    開催する / 開催しない, the reason, who decided and in which role."""
    circulation = decision.circulation
    return queue_mail(
        purpose="circulation.decision",
        to=to,
        template="decision_notice",
        context={
            "circulation": circulation,
            "committee": circulation.committee,
            "decision": decision,
            "url": decision_record_url(circulation.pk),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
    )


def queue_decider_changed(
    circulation: Circulation, to: User, *, role: str, key: str
) -> OutboxMessage | None:
    """To the person who decides now that the chair was marked absent (or present again),
    for a closed circulation still waiting for its decision: the decision page."""
    return queue_mail(
        purpose="circulation.decider_changed",
        to=to,
        template="decider_changed",
        context={
            "circulation": circulation,
            "tally": tally(circulation),
            "role": role,
            "url": decision_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=key,
    )
