"""One function per mail of the circulation process; each writes an outbox row."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from circulation.mail.outbox import Mail, queue_mail
from circulation.mail.tokens import reply_links
from circulation.models import (
    Answer,
    Circulation,
    DeadlineExtension,
    Material,
    OutboxMessage,
    Question,
    Recipient,
    Reply,
)
from circulation.reads.records import reply_rows
from circulation.reads.tally import tally_of, tally_recipients
from portal.models import Membership, Role, User
from portal.permissions import Action, may_on_circulation, may_see_circulation


def circulation_url(circulation: Circulation) -> str:
    return settings.SITE_URL + reverse("circulation_detail", args=[circulation.pk])


def notice(recipient: Recipient, materials: list[Material]) -> Mail:
    """The notice to one recipient, given the circulation's current materials (a fan-out
    reads them once for every recipient and queues all notices with `queue_mails`)."""
    circulation = recipient.circulation
    links = reply_links(recipient)
    return Mail(
        purpose="circulation.notice",
        to=recipient.user,
        template="circulation_notice",
        context={
            "circulation": circulation,
            "recipient": recipient,
            "committee": circulation.committee,
            "materials": materials,
            "url": circulation_url(circulation),
            "links": links,
        },
        circulation=circulation,
        deadline_version=1,
        reply_to=links["reply_to"],
    )


def send_reply_receipt(reply: Reply) -> OutboxMessage | None:
    """The receipt after a reply: quotes what was recorded, with a link to change it."""
    circulation = reply.recipient.circulation
    return queue_mail(
        purpose="circulation.reply_receipt",
        to=reply.recipient.user,
        template="reply_receipt",
        context={
            "circulation": circulation,
            "reply": reply,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"v{reply.version}",
    )


def decision_url(circulation: Circulation) -> str:
    return settings.SITE_URL + reverse("circulation_decision", args=[circulation.pk])


def send_closing_summary(
    circulation: Circulation,
    to: User,
    *,
    decides: bool,
    decider_role: str,
    decider: Membership | None,
) -> None:
    """The summary at the deadline: the tally, who decides, and a link that opens for `to`:
    the decider goes to the decision page (開催の要否), the secretariat to the same page
    read-only; a chair or acting chair who does not decide to the circulation's page if it
    was sent to them, else nowhere (it would answer 404): the sentence on who decides says
    what they need to know."""
    if decides or may_on_circulation(to, Action.VIEW_DECISION_PAGE, circulation):
        link, url = "decision", decision_url(circulation)
    elif may_see_circulation(to, circulation):
        link, url = "circulation", circulation_url(circulation)
    else:
        link, url = "", ""
    # One read of the recipients for the tally and, for the decider, every opinion: named
    # or 「委員」 as the council shows members' names (the mail leaves Kairan).
    recipients = list(tally_recipients(circulation))
    masked = not circulation.committee.show_member_names
    opinions = [row for row in reply_rows(recipients, masked) if row.reply and row.reply.opinion]
    queue_mail(
        purpose="circulation.closing_summary",
        to=to,
        template="closing_summary",
        context={
            "circulation": circulation,
            "tally": tally_of(recipients),
            "opinions": opinions if decides else [],
            "masked": masked,
            "decides": decides,
            "decider_role": Role(decider_role).label,
            "decider": decider,
            "link": link,
            "url": url,
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
    )


def send_material_corrected(recipient: Recipient, material: Material) -> OutboxMessage | None:
    """A sent material was replaced by a corrected version: what changed, and the link."""
    circulation = recipient.circulation
    return queue_mail(
        purpose="circulation.material_corrected",
        to=recipient.user,
        template="material_corrected",
        context={
            "circulation": circulation,
            "recipient": recipient,
            "material": material,
            "previous": material.replaces,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"material-{material.pk}",
    )


def send_deadline_extended(
    recipient: Recipient, extension: DeadlineExtension
) -> OutboxMessage | None:
    """The deadline moved: old and new deadline (Japan time) and the reason."""
    circulation = recipient.circulation
    return queue_mail(
        purpose="circulation.deadline_extended",
        to=recipient.user,
        template="deadline_extended",
        context={
            "circulation": circulation,
            "recipient": recipient,
            "extension": extension,
            "replied": recipient.current_reply_id is not None,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=extension.deadline_version,
    )


def send_question_received(to: User, question: Question) -> OutboxMessage | None:
    """Tells the secretariat (and implementing body) that a member asked a question."""
    circulation = question.circulation
    return queue_mail(
        purpose="circulation.question",
        to=to,
        template="question_received",
        context={
            "circulation": circulation,
            "question": question,
            "url": settings.SITE_URL + reverse("circulation_questions", args=[circulation.pk]),
        },
        circulation=circulation,
        key=f"question-{question.pk}",
    )


def send_answer(recipient: Recipient, question: Question, answer: Answer) -> OutboxMessage | None:
    """An answer to a question, sent to every recipient (the asker is not named)."""
    circulation = recipient.circulation
    return queue_mail(
        purpose="circulation.answer",
        to=recipient.user,
        template="question_answered",
        context={
            "circulation": circulation,
            "recipient": recipient,
            "question": question,
            "answer": answer,
            "asked_by_you": question.asked_by_id == recipient.user_id,
            "url": circulation_url(circulation) + "#qa",
        },
        circulation=circulation,
        key=f"question-{question.pk}",
    )
