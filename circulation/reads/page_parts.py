"""Parts of a circulation's pages cached rendered in the configured cache (Django's cache
framework: Redis in production, the file cache in the demo), and the materials as every
recipient sees them.

Why: the materials list and the Q&A are the same for every recipient and change a few times
in a circulation's life, but reading and rendering them was a large part of the member's page;
the tracking page's rows (with every reply version) were most of the secretariat's.

How a cached part follows a change: its key holds what it shows, so a change is a new key and
nothing is ever invalidated (old entries expire).
- The materials and the questions with their answers change only through the services that
  call `services.content.content_changed`, which moves `Circulation.content_version`; the
  version, read with the circulation by the permission gate, is in their keys. A service
  that changes them without moving it would leave the pages behind: tests/content_version.py
  (installed for every test) fails any request that does.
- The tracking rows are keyed by everything they show (`tracking_rows_html`).
- Drafts (edited in place) are rendered every time, and so are renderings that show people's
  names (a name changes without a new version), unless the names shown are in the key (the
  tracking page's Q&A: `tracking_qa_html`).
- The cache outlives the processes: every key also holds `release()`, a digest of what shapes
  the HTML (templates, the catalogue, this app's code, Django's version), so that a release
  that changes any of them starts with nothing cached.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from circulation.models import Circulation, Material
from circulation.reads.markdown import render_markdown
from circulation.reads.qa import QAItem, qa_items
from circulation.reads.tracking import Tracking
from circulation.uploads.checks import is_viewable, kind_label
from portal.models import User

# Entries are never stale (a change is a new key); the timeout only lets old ones go.
CACHED_SECONDS = 7 * 24 * 3600


@functools.cache
def release() -> str:
    """A digest of the templates, the translations, this app's code and Django's version."""
    digest = hashlib.sha256(django.get_version().encode())
    sources = [
        *Path(settings.BASE_DIR, "templates").rglob("*.html"),
        *(path for folder in settings.LOCALE_PATHS for path in Path(folder).rglob("*.mo")),
        *Path(apps.get_app_config("circulation").path).rglob("*.py"),
    ]
    for path in sorted(sources):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def part_key(part: str, *vary: Hashable) -> str:
    """The cache key of a cached part in the active language: `vary` is what it shows."""
    return make_template_fragment_key(f"kairan.{part}", [release(), get_language(), *vary])


def content_key(circulation: Circulation, part: str, *vary: Hashable) -> str | None:
    """The key of a part that changes with the circulation's content version; None for a
    draft or a discarded circulation (not cached)."""
    if circulation.state in (Circulation.State.DRAFT, Circulation.State.DISCARDED):
        return None
    return part_key(part, *_identity(circulation), circulation.content_version, *vary)


def _identity(circulation: Circulation) -> tuple[Hashable, ...]:
    # The creation time too: an id alone could come back after a database is restored.
    return (circulation.pk, circulation.created_at.isoformat())


def cached_html(key: str | None, render: Callable[[], str]) -> SafeString:
    """The HTML cached under `key`, or `render()`'s, cached there for the next request.
    `render` returns a template's output (escaped there); None as the key: not cached."""
    if key is None:
        return mark_safe(render())  # noqa: S308 (a template's output)
    html = cache.get(key)
    if html is None:
        html = str(render())
        cache.set(key, html, CACHED_SECONDS)
    return mark_safe(html)  # noqa: S308 (a template's output, cached)


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


# --- The member's page ------------------------------------------------------------------------


def explanation_html(circulation: Circulation) -> SafeString:
    """The explanation's Markdown as sanitised HTML (circulation/reads/markdown.py), cached by
    a digest of the text itself: an edited explanation is a new key, whoever edited it (a service,
    the admin, a migration)."""
    text = circulation.explanation
    key = part_key("explanation", hashlib.sha256(text.encode()).hexdigest())
    return cached_html(key, lambda: render_markdown(text))


def materials_html(circulation: Circulation) -> SafeString:
    """The materials section (templates/circulation/member/_materials.html)."""

    def render() -> str:
        context = {"circulation": circulation, "materials": material_entries(circulation)}
        return render_to_string("circulation/member/_materials.html", context)

    return cached_html(content_key(circulation, "materials"), render)


def qa_html(circulation: Circulation, *, viewer: User, names_visible: bool) -> SafeString:
    """The questions with their answers (templates/circulation/member/_qa_items.html) as this
    viewer sees them. `names_visible`: permissions.may_see_member_names. Masked, a viewer's
    own questions read 委員(あなた), so the key holds the viewer; named, it is never cached."""
    named = names_visible or circulation.committee.show_member_names

    def render() -> str:
        items = qa_items(circulation, viewer=viewer, names_visible=names_visible)
        return render_to_string("circulation/member/_qa_items.html", {"qa": items})

    return cached_html(None if named else content_key(circulation, "qa", viewer.pk), render)


# --- The tracking page ------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackingMaterials:
    html: SafeString  # templates/circulation/secretariat/_tracking_materials.html
    current: int  # how many are in force: the rows' "n / m 件"


def tracking_materials(circulation: Circulation) -> TrackingMaterials:
    """The tracking page's materials section and how many materials are in force, cached
    together by the content version (a correction moves it): a kept page reads no material.
    The correction links show while the circulation is open, so the state is in the key."""
    key = content_key(circulation, "tracking-materials", circulation.state)
    kept = cache.get(key) if key is not None else None
    if kept is None:
        # Every material, earlier versions too: the section shows titles, files and versions.
        materials = list(circulation.materials.order_by("order", "id"))
        context = {"circulation": circulation, "materials": materials}
        html = render_to_string("circulation/secretariat/_tracking_materials.html", context)
        kept = (str(html), sum(1 for m in materials if m.is_current))
        if key is not None:
            cache.set(key, kept, CACHED_SECONDS)
    html, current = kept
    html = mark_safe(html)  # noqa: S308 (a template's output, cached)
    return TrackingMaterials(html=html, current=current)


def tracking_rows_html(circulation: Circulation, state: Tracking) -> SafeString:
    """The table rows of the current page (templates/circulation/secretariat/_tracking_rows.html),
    cached by everything they show: each row's recipient, name, role, first opening, materials
    opened and current reply (read with the page's recipients). Reply versions are never
    changed, and each new one becomes the current reply, so the current reply stands for
    them all: the versions are read, and the rows rendered, only when a row changed."""
    rows = tuple(
        (r.pk, r.user.full_name, r.role, r.first_opened_at, r.current_reply_id,
         r.materials_opened)  # type: ignore[attr-defined]  # annotated
        for r in state.page_recipients
    )  # fmt: skip
    key = part_key("tracking-rows", *_identity(circulation), state.current_materials, rows)

    def render() -> str:
        return render_to_string("circulation/secretariat/_tracking_rows.html", {"tracking": state})

    return cached_html(key, render)


def tracking_qa_html(
    circulation: Circulation,
    items: list[QAItem],
    with_forms: Callable[[list[QAItem]], list[QAItem]],
) -> SafeString:
    """The tracking page's questions with their answers, and an answer field on each open one
    (templates/circulation/secretariat/_answer_list.html), cached by the content version (a
    question or an answer moves it) and the names shown (read with `items`: a renamed person
    is a new key). `with_forms` puts the unbound answer forms on `items`; it is called only
    when the list is rendered. The fields belong to the page's one answer form beside the
    list (_answer_form.html), which carries the session's CSRF token: no token is kept here."""
    names = tuple(
        (item.question.pk, item.asker, item.answer.answered_by.full_name if item.answer else None)
        for item in items
    )
    key = content_key(circulation, "tracking-qa", names)

    def render() -> str:
        context = {"circulation": circulation, "qa": with_forms(items)}
        return render_to_string("circulation/secretariat/_answer_list.html", context)

    return cached_html(key, render)
