"""User text (explanations) is markdown, sanitised with nh3 before it reaches a page."""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip


def render_markdown(text: str) -> SafeString:
    """The text as sanitised HTML."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists", "nl2br"])
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"scope"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308  (sanitised by nh3 just above)
