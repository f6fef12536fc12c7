"""One function per mail of the circulation process; each writes an outbox row."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from circulation.mail.attachments import to_attach
from circulation.mail.material_tokens import material_link, material_links
from circulation.mail.outbox import Mail, queue_mail
from circulation.mail.text import first_page, markdown_as_text
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
from circulation.reads.markdown import render_markdown
from circulation.reads.records import ReplyRow
from circulation.reads.tally import Tally
from portal.models import Membership, Role, User


def circulation_url(circulation: Circulation) -> str:
    return settings.SITE_URL + reverse("circulation_detail", args=[circulation.pk])


def notice(recipient: Recipient, materials: list[Material]) -> Mail:
    """The notice to one recipient, given the circulation's current materials (a fan-out
    reads them once for every recipient and queues all notices with `queue_mails`). Members
    who only use mail read the materials without logging in: each file attached (when the
    council attaches them and they fit its limit), else the recipient's own signed link to
    each (material_tokens.py)."""
    circulation = recipient.circulation
    committee = circulation.committee
    links = reply_links(recipient)
    attached = to_attach(committee, materials)
    return Mail(
        purpose="circulation.notice",
        to=recipient.user,
        template="circulation_notice",
        context={
            "circulation": circulation,
            "recipient": recipient,
            "committee": committee,
            "materials": materials,
            "attached": bool(attached),
            "material_links": [] if attached else material_links(recipient, materials),
            "link_days": committee.material_link_days,
            "explanation_text": markdown_as_text(circulation.explanation),
            "explanation_html": render_markdown(circulation.explanation),
            "url": circulation_url(circulation),
            "links": links,
        },
        circulation=circulation,
        deadline_version=1,
        reply_to=links["reply_to"],
        attachments=tuple(m.pk for m in attached),
    )


def queue_reply_receipt(reply: Reply) -> OutboxMessage | None:
    """The receipt after a reply: quotes (at most a page of) what was recorded, with a link
    to change it."""
    circulation = reply.recipient.circulation
    page, cut = first_page(reply.opinion)
    return queue_mail(
        purpose="circulation.reply_receipt",
        to=reply.recipient.user,
        template="reply_receipt",
        context={
            "circulation": circulation,
            "reply": reply,
            "opinion_page": page,
            "opinion_cut": cut,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"v{reply.version}",
    )


def decision_url(circulation: Circulation) -> str:
    return settings.SITE_URL + reverse("circulation_decision", args=[circulation.pk])


def closing_summary(
    circulation: Circulation,
    to: User,
    *,
    tally: Tally,
    decides: bool,
    decider_role: str,
    decider: Membership | None,
    link: str,
    opinions: list[ReplyRow],
    masked: bool,
) -> Mail:
    """The summary at the deadline: the tally, who decides, and a link that opens for `to`
    (portal.permissions.closing_summary_links): the decider goes to the decision page
    (開催の要否), the secretariat to the same page read-only; a chair or acting chair who does
    not decide to the circulation's page if it was sent to them, else nowhere: the sentence on
    who decides says what they need to know. The decider's lists every opinion (`opinions`,
    named or 「委員」 as the council shows members' names). The close queues every summary
    at once."""
    url = {"decision": decision_url, "circulation": circulation_url}.get(link)
    return Mail(
        purpose="circulation.closing_summary",
        to=to,
        template="closing_summary",
        context={
            "circulation": circulation,
            "tally": tally,
            "opinions": opinions if decides else [],
            "masked": masked,
            "decides": decides,
            "decider_role": Role(decider_role).label,
            "decider": decider,
            "link": link,
            "url": url(circulation) if url else "",
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
    )


def queue_material_corrected(recipient: Recipient, material: Material) -> OutboxMessage | None:
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
            "material_link": material_link(recipient, material),
            "previous": material.replaces,
            "url": circulation_url(circulation),
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=f"material-{material.pk}",
    )


def queue_deadline_extended(
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


def queue_question_received(to: User, question: Question) -> OutboxMessage | None:
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


def queue_answer(recipient: Recipient, question: Question, answer: Answer) -> OutboxMessage | None:
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
