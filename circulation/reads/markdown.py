"""User text (explanations) is markdown, sanitised with nh3 before it reaches a page."""

from __future__ import annotations

import functools

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip

# Every member's circulation page shows the explanation, and rendering it (markdown, then
# nh3) cost about 1 ms for two lines, more for a long one. The result depends on the text
# alone, so each process keeps the latest renderings keyed by the text itself: an edited
# explanation is a different key, and nothing needs invalidating — whoever changed it
# (a service, the admin, a migration). Texts above the limit are rendered every time, which
# bounds the memory to about CACHED_RENDERINGS × (limit + its HTML).
CACHED_RENDERINGS = 128
CACHED_TEXT_LIMIT = 32 * 1024


def render_markdown(text: str) -> SafeString:
    """The text as sanitised HTML (from the cache when this process has rendered it)."""
    if len(text) > CACHED_TEXT_LIMIT:
        return _render(text)
    return _render_cached(text)


@functools.lru_cache(maxsize=CACHED_RENDERINGS)
def _render_cached(text: str) -> SafeString:
    return _render(text)


def _render(text: str) -> SafeString:
    html = markdown.markdown(text, extensions=["tables", "sane_lists", "nl2br"])
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"scope"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308  (sanitised by nh3 just above)
