"""The tracking page's materials list and Q&A (with an answer form per open question), kept
rendered in each process per content version, as the member's page keeps its own
(circulation/reads/page_parts.py, whose store and version key this shares); and its table rows,
kept by what they show (`rows_html`).

Why: these parts were read and rendered on every request of the secretariat's busiest page,
although the materials and Q&A change a few times in a circulation's life, and a page of
rows only when one of its recipients replies or opens a material.

What each part depends on, and how the kept HTML follows it:

- The materials and the questions with their answers change only through the services that
  bump `Circulation.content_version` (services/content.py); the version, read with the
  circulation by the permission gate, is in every key. The materials list also shows the
  correction links only while the circulation is open, so its key holds the state.
- The Q&A names who asked and who answered, and a name can change without a new content
  version. So the names are read on every request (one query on the people's primary keys,
  none without questions) and are part of the key: a changed name is a new key, rendered
  from that very read. The first request of a version reads the questions with the people
  joined and takes the names from there (no query more than before).
- Each answer form carries a CSRF token, which belongs to one session. The kept HTML never
  holds a token: it is rendered with `CSRF_MARK`, a random string made when the process
  starts, and kept split at it; each request joins the pieces with its own token
  (`get_token(request)`, as `{% csrf_token %}` does).
- Language and URL prefix are in the key (page_parts.rendering_key).

Drafts and discarded circulations are rendered afresh every time (page_parts.version_key).
tests/circulation/test_tracking_parts.py checks that a kept page equals a fresh one, that
each change and each renamed person shows at once, and that every form carries the token of
the session that asked for the page.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from circulation.forms.secretariat import AnswerForm
from circulation.models import Answer, Circulation, Material, Question, Recipient
from circulation.reads.page_parts import Kept, kept_parts, rendering_key, version_key
from circulation.reads.qa import QAItem, questions_with_answers
from circulation.reads.tracking import Tracking
from circulation.reads.tracking_html import tracking_rows_html
from portal.models import User

MATERIALS_TEMPLATE = "circulation/secretariat/_tracking_materials.html"
QA_TEMPLATE = "circulation/secretariat/_answer_list.html"
RETURN_TO = "tracking"  # the answer form brings the secretariat back here

# Stands for the CSRF token in kept HTML. Random per process, so that no question or answer
# text can contain it.
CSRF_MARK = "csrf-" + secrets.token_hex(16)

Names = dict[int, str]

# The rows of a page can be long (opinions of up to 4,000 characters in several versions):
# a store of their own, smaller than the parts' shared one.
ROWS_KEPT = 32
_rows_kept = Kept(ROWS_KEPT)


def clear() -> None:
    """Forget the kept rows (tests; the other parts go with page_parts.clear())."""
    _rows_kept.clear()


def rows_html(circulation: Circulation, state: Tracking) -> SafeString:
    """The table rows of the current page (tracking_html.py), kept by everything they show.

    Each row shows its recipient's name, role, first opening and how many materials they
    opened (all read with the page's recipients on every request), and their reply versions.
    Versions are never changed, and each new one becomes the recipient's `current_reply`:
    the current reply's id stands for all of them, so they are read (and the rows rendered)
    only when a row on the page changed. The number of materials and the language are in
    the key too, and the circulation's creation time (ids can repeat after a restore)."""
    recipients = state.page_recipients
    if not recipients:
        return mark_safe("")

    def opened(recipient: Recipient) -> int:
        return recipient.materials_opened  # type: ignore[attr-defined]  # annotated

    key = (
        circulation.pk,
        circulation.created_at,
        get_language(),
        state.current_materials,
        tuple(
            (r.pk, r.user.full_name, r.role, r.first_opened_at, r.current_reply_id, opened(r))
            for r in recipients
        ),
    )
    return _rows_kept.get(key, lambda: tracking_rows_html(state))


def materials_html(circulation: Circulation, materials: list[Material]) -> SafeString:
    """The materials section (templates/circulation/secretariat/_tracking_materials.html)."""

    def render() -> SafeString:
        context = {"circulation": circulation, "materials": materials}
        return mark_safe(render_to_string(MATERIALS_TEMPLATE, context))  # noqa: S308 (a template's output)

    version = version_key(circulation)
    if version is None:
        return render()
    key = ("tracking-materials-html", *version, circulation.state, *rendering_key())
    return kept_parts.get(key, render)


def qa_html(request: HttpRequest, circulation: Circulation) -> SafeString:
    """The Q&A with answer forms (templates/circulation/secretariat/_answer_list.html), with
    the names as they are now and the request's own CSRF token in every form."""
    token = get_token(request)
    version = version_key(circulation)
    if version is None:
        questions = questions_with_answers(circulation, askers=True, answerers=True)
        return mark_safe(_render(circulation, questions, _names_joined(questions), token))  # noqa: S308 (a template's output)
    joined: Names = {}

    def read() -> list[Question]:
        # Only on a new version: the people come joined, and their names with them.
        questions = questions_with_answers(circulation, askers=True, answerers=True)
        joined.update(_names_joined(questions))
        return questions

    questions: list[Question] = kept_parts.get(("tracking-questions", *version), read)
    names = joined or _names_read(questions)
    key: tuple[Hashable, ...] = (
        "tracking-qa",
        *version,
        tuple(sorted(names.items())),
        *rendering_key(),
    )
    pieces: tuple[str, ...] = kept_parts.get(
        key, lambda: tuple(_render(circulation, questions, names, CSRF_MARK).split(CSRF_MARK))
    )
    # A token is letters and digits only: nothing in it needs escaping.
    return mark_safe(token.join(pieces))  # noqa: S308 (a template's output and the token)


def _people(questions: list[Question]) -> set[int]:
    people = {q.asked_by_id for q in questions}
    people.update(q.answer.answered_by_id for q in questions if _answer(q) is not None)
    return people


def _answer(question: Question) -> Answer | None:
    # The reverse one-to-one raises an AttributeError subclass when there is no answer.
    return getattr(question, "answer", None)


def _names_joined(questions: list[Question]) -> Names:
    """The names of the people asking and answering, from questions read with them joined."""
    names = {q.asked_by_id: q.asked_by.full_name for q in questions}
    for question in questions:
        answer = _answer(question)
        if answer is not None:
            names[answer.answered_by_id] = answer.answered_by.full_name
    return names


def _names_read(questions: list[Question]) -> Names:
    """The same names, read now (one query; none without questions)."""
    people = _people(questions)
    if not people:
        return {}
    return dict(User.objects.filter(pk__in=people).order_by().values_list("pk", "full_name"))


def _render(circulation: Circulation, questions: list[Question], names: Names, token: str) -> str:
    """The Q&A as the page's template included it, from `questions` (shared: only read) and
    `names`. Answers and people are unsaved copies, so that nothing kept is changed."""
    items = []
    for question in questions:
        kept = _answer(question)
        answer = None
        if kept is not None:
            answer = Answer(
                pk=kept.pk,
                question_id=question.pk,
                text=kept.text,
                answered_at=kept.answered_at,
                answered_by=User(pk=kept.answered_by_id, full_name=names[kept.answered_by_id]),
            )
        item = QAItem(
            question=question, asker=names[question.asked_by_id], answer=answer, mine=False
        )
        if answer is None:
            item.form = AnswerForm(prefix=f"answer-{question.pk}")  # type: ignore[attr-defined]
        items.append(item)
    context = {"circulation": circulation, "qa": items, "return_to": RETURN_TO, "csrf_token": token}
    return render_to_string(QA_TEMPLATE, context)
