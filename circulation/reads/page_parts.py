"""The parts of a circulation's page that every recipient sees alike — the materials with
their earlier versions, and the questions with their answers — kept rendered in each process
for as long as they stay the same.

Why: on the member's page of a circulation with 5 materials and 5 questions, reading and
rendering these two parts cost about 7 ms a request, a third of the page, although they
change a few times in a circulation's life.

When they change: once a circulation is sent, only three services change them, each in the
transaction that bumps `Circulation.content_version` (services/content.py): correcting a
material, asking a question, answering one. The key holds that version, read with the
circulation by the permission gate, so a change is a new key: nothing is ever invalidated,
and every process sees the change on its next request. Old entries fall out of a bounded
LRU. The key also holds the circulation's creation time (an id alone could come back after
a database is restored), the language and the URL prefix.

Not kept: drafts (their materials are edited in place; only the secretariat previews them),
and the Q&A wherever people's names are shown (the secretariat, the chair, the acting chair,
committees that show members' names), since a name can change without a new content version.
So every kept Q&A is the masked one (「委員」): a member can never be served a rendering made
for the chair, whoever opened the page first.

The Q&A differs by viewer only in one word: a member's own questions read 委員(あなた).
So the questions are kept per version, and their HTML per version and the set of the
viewer's own questions (usually none).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from circulation.models import Circulation, Material, Question
from circulation.reads.qa import QAItem, asker_label, qa_items, questions_with_answers
from circulation.uploads.checks import is_viewable, kind_label
from portal.models import User

MATERIALS_TEMPLATE = "circulation/member/_materials.html"
QA_ITEMS_TEMPLATE = "circulation/member/_qa_items.html"
KEPT_ENTRIES = 512  # a few per circulation: materials per language, questions, their HTML

T = TypeVar("T")


class Kept:
    """A small LRU shared by the threads of a process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = make()  # outside the lock: two threads may both make it, the same way
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


kept_parts = Kept(KEPT_ENTRIES)


def clear() -> None:
    """Forget everything (tests: ids and creation times repeat across their databases)."""
    kept_parts.clear()


def kept_entries() -> int:
    return len(kept_parts)


@dataclass
class MaterialEntry:
    material: Material
    label: str
    viewable: bool
    earlier: list[Material]


def material_entries(circulation: Circulation) -> list[MaterialEntry]:
    """Current materials in order, each with its earlier versions (newest first)."""
    materials = list(circulation.materials.order_by("order", "id"))
    by_id = {m.pk: m for m in materials}
    entries = []
    for material in materials:
        if not material.is_current:
            continue
        earlier, previous = [], by_id.get(material.replaces_id)
        while previous is not None:
            earlier.append(previous)
            previous = by_id.get(previous.replaces_id)
        entries.append(
            MaterialEntry(
                material=material,
                label=kind_label(material.content_type),
                viewable=is_viewable(material.content_type),
                earlier=earlier,
            )
        )
    return entries


def version_key(circulation: Circulation) -> tuple[Hashable, ...] | None:
    """What identifies the circulation's materials and Q&A, or None if they are not kept."""
    if circulation.state in (Circulation.State.DRAFT, Circulation.State.DISCARDED):
        return None
    return (circulation.pk, circulation.created_at, circulation.content_version)


def rendering_key() -> tuple[Hashable, ...]:
    return (translation.get_language(), get_script_prefix())


def materials_html(circulation: Circulation) -> SafeString:
    """The materials section (templates/circulation/member/_materials.html)."""

    def render() -> SafeString:
        context = {"circulation": circulation, "materials": material_entries(circulation)}
        return mark_safe(render_to_string(MATERIALS_TEMPLATE, context))  # noqa: S308 (a template's output)

    version = version_key(circulation)
    if version is None:
        return render()
    return kept_parts.get(("materials", *version, *rendering_key()), render)


def qa_html(circulation: Circulation, *, viewer: User, names_visible: bool) -> SafeString:
    """The questions with their answers (templates/circulation/member/_qa_items.html).
    `names_visible`: permissions.may_see_member_names for this viewer. Named renderings are
    made afresh and never kept, so the kept entries below (keyed without the viewer's
    rights) are always masked."""
    version = version_key(circulation)
    if version is None or names_visible or circulation.committee.show_member_names:
        items = qa_items(circulation, viewer=viewer, names_visible=names_visible)
        return _render_qa(items)
    questions: list[Question] = kept_parts.get(
        ("questions", *version), lambda: questions_with_answers(circulation, askers=False)
    )
    own = tuple(q.pk for q in questions if q.asked_by_id == viewer.pk)

    def render() -> SafeString:
        items = [
            QAItem(
                question=q,
                asker=asker_label(q, show_names=False, viewer=viewer),
                answer=getattr(q, "answer", None),  # read with the question (or None)
                mine=q.pk in own,
            )
            for q in questions
        ]
        return _render_qa(items)

    return kept_parts.get(("qa", *version, own, *rendering_key()), render)


def _render_qa(items: list[QAItem]) -> SafeString:
    return mark_safe(render_to_string(QA_ITEMS_TEMPLATE, {"qa": items}))  # noqa: S308 (a template's output)
