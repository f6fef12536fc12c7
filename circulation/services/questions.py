"""Questions and answers (質疑): a recipient asks while the circulation is open; the
secretariat or the implementing body answers; every recipient is told each answer."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.circulation import queue_answer, queue_question_received
from circulation.models import Answer, Circulation, Question
from circulation.services.content import content_changed
from portal import audit
from portal.models import Membership, Role, User
from portal.permissions import still_sits

MAX_TEXT = 4000


class QuestionRefused(Exception):
    """The question or answer cannot be recorded; the message says why."""


def ask_question(
    circulation_id: int, *, by: User, text: str, now: dt.datetime | None = None
) -> Question:
    """Record a recipient's question; the secretariat and implementing body are told."""
    now = now or timezone.now()
    text = _checked_text(text, _("質問を入力してください。"))
    with transaction.atomic():
        # Locked: a close committing meanwhile is waited for, and the state then read as it is.
        circulation = (
            Circulation.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(pk=circulation_id)
        )
        if not circulation.accepts_replies_at(now):
            raise QuestionRefused(_("回答期限を過ぎたため、質問は受け付けられません。"))
        if not circulation.recipients.filter(user=by).exists():
            raise QuestionRefused(_("この書面照会の送付先の委員だけが質問できます。"))
        if not still_sits(by, circulation.committee, timezone.localdate(now)):
            raise QuestionRefused(_("任期が終了しているため、質問は受け付けられません。"))
        question = Question.objects.create(
            circulation=circulation, asked_by=by, text=text, asked_at=now
        )
        content_changed(circulation)
        audit.record(
            "circulation.question.asked",
            actor=by,
            obj=question,
            committee=circulation.committee,
            data={"circulation": circulation.pk},
        )
        for person in _answerers(circulation, now):
            queue_question_received(person, question)
    return question


def answer_question(
    question_id: int, *, by: User, text: str, now: dt.datetime | None = None
) -> Answer:
    """Record the answer to a question; every recipient is told."""
    now = now or timezone.now()
    text = _checked_text(text, _("回答を入力してください。"))
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        circulation = Circulation.objects.select_related("committee").get(
            pk=question.circulation_id
        )
        if Answer.objects.filter(question=question).exists():
            raise QuestionRefused(_("この質問にはすでに回答があります。"))
        answer = Answer.objects.create(
            question=question, text=text, answered_by=by, answered_at=now
        )
        content_changed(circulation)
        audit.record(
            "circulation.question.answered",
            actor=by,
            obj=question,
            committee=circulation.committee,
            data={"circulation": circulation.pk, "answer": answer.pk},
        )
        for recipient in circulation.recipients.select_related("user"):
            queue_answer(recipient, question, answer)
    return answer


def _checked_text(text: str, empty_message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise QuestionRefused(empty_message)
    if len(text) > MAX_TEXT:
        raise QuestionRefused(_("%(limit)s文字以内で入力してください。") % {"limit": MAX_TEXT})
    return text


def _answerers(circulation: Circulation, now: dt.datetime) -> list[User]:
    memberships = (
        Membership.objects.on(timezone.localdate(now))
        .filter(
            committee=circulation.committee,
            role__in=[Role.SECRETARIAT, Role.IMPLEMENTING_BODY],
        )
        .select_related("user")
    )
    if circulation.is_consultation:
        # Of the implementing body, only the consultation's own staff hear of its questions.
        staff = set(circulation.consultation.staff.values_list("pk", flat=True))
        memberships = [m for m in memberships if m.role == Role.SECRETARIAT or m.user_id in staff]
    people = {m.user_id: m.user for m in memberships if m.user.is_active}
    return list(people.values())
