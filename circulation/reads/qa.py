"""Questions and answers as each viewer may see them: the asker is named to the
secretariat; to everyone else 「委員」 unless the committee shows names."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from circulation.models import Answer, Circulation, Question
from portal.models import User


@dataclass
class QAItem:
    question: Question
    asker: str
    answer: Answer | None
    mine: bool


def asker_label(question: Question, *, show_names: bool, viewer: User | None = None) -> str:
    if show_names:
        return question.asked_by.full_name
    if viewer is not None and question.asked_by_id == viewer.pk:
        return _("委員(あなた)")
    return _("委員")


def questions_with_answers(
    circulation: Circulation, *, askers: bool, answerers: bool = False
) -> list[Question]:
    """The circulation's questions in order, each with its answer (if any), in one query;
    with the people who asked (`askers`) and who answered (`answerers`) where a page shows
    them. Only those are joined, and only their names are read: each joined person was a whole
    User row built into a model, which cost the pages more than the rest of the query."""
    related, people = ["answer"], []
    if askers:
        related.append("asked_by")
        people.append("asked_by__full_name")
    if answerers:
        related.append("answer__answered_by")
        people.append("answer__answered_by__full_name")
    questions = circulation.questions.select_related(*related).order_by("asked_at", "id")
    # Of the people, only their names (what the pages show).
    return list(questions.only(*_QA_FIELDS, *people))


_QA_FIELDS = (
    "circulation",
    "asked_by",
    "text",
    "asked_at",
    "answer__text",
    "answer__answered_by",
    "answer__answered_at",
)


def qa_items(
    circulation: Circulation, *, viewer: User, names_visible: bool, answerers: bool = False
) -> list[QAItem]:
    """All questions with their answers in one query. `names_visible` is True for the
    secretariat; for others the committee's show_member_names setting decides.
    `answerers`: also read who answered (the secretariat's pages show it)."""
    show = names_visible or circulation.committee.show_member_names
    items = []
    for question in questions_with_answers(circulation, askers=show, answerers=answerers):
        # The reverse one-to-one raises an AttributeError subclass when there is no answer.
        answer = getattr(question, "answer", None)
        items.append(
            QAItem(
                question=question,
                asker=asker_label(question, show_names=show, viewer=viewer),
                answer=answer,
                mine=question.asked_by_id == viewer.pk,
            )
        )
    return items
