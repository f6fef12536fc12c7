"""The mails of a consultation (諮問): one function per mail, each writes one outbox row.

Where a consultation's mail stands for a circulation's (the notice, the reminder, the
receipt, the closing summary) it keeps that mail's purpose and key, so the outbox's
once-per-purpose rule, the due work's "already reminded" query and the check at sending
(`reminders.cancel_reason`) hold for both kinds alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from circulation.mail.outbox import Mail, queue_mail
from circulation.mail.tokens import Purpose, make_token, reply_address
from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    InboundMessage,
    Material,
    OutboxMessage,
    Recipient,
    Reply,
    Rider,
    Vote,
)
from portal.models import Membership, Role, User

REMINDER = "circulation.reminder"  # the circulation's purpose: the due work counts on it
RECEIPT = "circulation.reply_receipt"
CLOSING_SUMMARY = "circulation.closing_summary"
RESULT = "consultation.result"
REPORT = "consultation.report"
RIDER_REMINDER = "consultation.rider_reminder"


def consultation_url(circulation: Circulation, name: str = "consultation_detail") -> str:
    return settings.SITE_URL + reverse(name, args=[circulation.pk])


def vote_link(token: str, item: ConsultationItem, vote: str) -> str:
    query = urlencode({"item": item.order, "vote": vote})
    return f"{settings.SITE_URL}{reverse('consultation_vote_link', args=[token])}?{query}"


def vote_links(recipient: Recipient, items: Sequence[ConsultationItem]) -> dict[str, object]:
    """What the notice and each reminder carry for one member: per item a link for each of
    承認 / 不承認 / 保留 (each opens a confirmation page first), the page, and the personal
    reply address (a mail reply holding a vote is held for the secretariat)."""
    token = make_token(recipient, Purpose.VOTE)
    return {
        "items": [
            {
                "item": item,
                "links": [(Vote(v).label, vote_link(token, item, v)) for v in Vote.values],
            }
            for item in items
        ],
        "reply_to": reply_address(recipient),
    }


def _context(circulation: Circulation, **extra: object) -> dict[str, object]:
    consultation: Consultation = circulation.consultation
    return {
        "circulation": circulation,
        "consultation": consultation,
        "committee": circulation.committee,
        "url": consultation_url(circulation),
        **extra,
    }


def consultation_notice(
    recipient: Recipient, materials: list[Material], items: list[ConsultationItem]
) -> Mail:
    """The notice of a written vote to one member (the circulation's notice, of this kind)."""
    circulation = recipient.circulation
    links = vote_links(recipient, items)
    return Mail(
        purpose="circulation.notice",
        to=recipient.user,
        template="consultation_notice",
        context=_context(
            circulation, recipient=recipient, materials=materials, items=items, links=links
        ),
        circulation=circulation,
        deadline_version=1,
        reply_to=str(links["reply_to"]),
    )


def queue_vote_reminder(
    recipient: Recipient, offset_hours: float, key: str
) -> OutboxMessage | None:
    """督促 to a member who has not voted (the due work chose whom and when)."""
    circulation = recipient.circulation
    items = list(circulation.consultation.items.all())
    links = vote_links(recipient, items)
    return queue_mail(
        purpose=REMINDER,
        to=recipient.user,
        template="consultation_reminder",
        context=_context(circulation, offset_hours=offset_hours, items=items, links=links),
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=key,
        reply_to=str(links["reply_to"]),
    )


def queue_vote_receipt(reply: Reply) -> OutboxMessage | None:
    """The receipt after a vote: each item's vote, opinion and proposed rider as recorded."""
    recipient = reply.recipient
    circulation = recipient.circulation
    votes = list(reply.item_votes.select_related("item").order_by("item__order"))
    return queue_mail(
        purpose=RECEIPT,
        to=recipient.user,
        template="consultation_vote_receipt",
        context=_context(circulation, reply=reply, votes=votes),
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"v{reply.version}",
    )


def consultation_closing_summary(
    circulation: Circulation,
    to: User,
    *,
    decides: bool,
    decider_role: str,
    decider: Membership | None,
    tallies: list[object],
) -> Mail:
    """At the deadline, to the chair, the acting chair and the secretariat: each item's
    counts and the result the rules propose, and who confirms it (the close queues every
    summary with one INSERT)."""
    return Mail(
        purpose=CLOSING_SUMMARY,
        to=to,
        template="consultation_closing_summary",
        context=_context(
            circulation,
            tallies=tallies,
            decides=decides,
            decider_role=Role(decider_role).label,
            decider=decider,
            result_url=consultation_url(circulation, "consultation_result"),
        ),
        circulation=circulation,
        deadline_version=circulation.deadline_version,
    )


def queue_result_notice(circulation: Circulation, to: User) -> OutboxMessage | None:
    """The council's result per item (結果のお知らせ), to the members and the secretariat."""
    items = list(circulation.consultation.items.all())
    return queue_mail(
        purpose=RESULT,
        to=to,
        template="consultation_result",
        context=_context(circulation, items=items),
        circulation=circulation,
        key="result",
    )


def queue_report_issued(circulation: Circulation, to: User) -> OutboxMessage | None:
    """The report was issued (答申): to the implementing body's staff, the members and the
    secretariat, with the report's page."""
    consultation = circulation.consultation
    return queue_mail(
        purpose=REPORT,
        to=to,
        template="consultation_report_issued",
        context=_context(
            circulation,
            items=list(consultation.items.all()),
            riders=list(consultation.riders.all()),
            report_url=consultation_url(circulation, "consultation_report"),
        ),
        circulation=circulation,
        key="report",
    )


def queue_rider_reminder(rider: Rider, to: User, *, key: str, months: int) -> OutboxMessage | None:
    """To the implementing body's staff: a rider has had no response for `months` months."""
    circulation = rider.consultation.circulation
    return queue_mail(
        purpose=RIDER_REMINDER,
        to=to,
        template="consultation_rider_reminder",
        context=_context(circulation, rider=rider, months=months),
        circulation=circulation,
        key=key,
    )


def queue_material_added(recipient: Recipient, material: Material) -> OutboxMessage | None:
    """A material was added after sending (by the implementing body or the secretariat)."""
    circulation = recipient.circulation
    return queue_mail(
        purpose="consultation.material_added",
        to=recipient.user,
        template="consultation_material_added",
        context=_context(circulation, recipient=recipient, material=material),
        circulation=circulation,
        key=f"material-{material.pk}",
    )


def queue_vote_mail_held(message: InboundMessage, recipient: Recipient) -> OutboxMessage | None:
    """A mail reply to a consultation: a vote is never read from a mail; it is held for the
    secretariat, who may record it for the member, and the member is told so."""
    circulation = recipient.circulation
    return queue_mail(
        purpose="circulation.mail_reply_held",
        to=recipient.user,
        template="consultation_vote_held",
        context=_context(circulation, subject=message.subject),
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=InboundMessage.Reason.VOTE,
    )
