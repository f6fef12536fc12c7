"""Checks on rendered HTML that a strict Content-Security-Policy needs: no inline script,
no inline style. Reused by the XSS-through-every-page tests after the merge."""

from __future__ import annotations

from html.parser import HTMLParser

# <script type="application/json"> (and similar) is data, not code: CSP does not run it.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "style" in names:
            self.problems.append(f"<{tag} style=…>")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script":
            src = names.get("src")
            kind = (names.get("type") or "").lower()
            if not src and kind not in DATA_SCRIPT_TYPES:
                self.problems.append("inline <script>")
            elif src and not src.startswith("/"):
                self.problems.append(f"script from elsewhere: {src}")
        if tag == "link" and (names.get("rel") or "") == "stylesheet":
            href = names.get("href") or ""
            if not href.startswith("/"):
                self.problems.append(f"stylesheet from elsewhere: {href}")
        for name in ("href", "src", "action", "formaction"):
            if (names.get(name) or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")


def inline_code(html: str) -> list[str]:
    """What in the page a CSP without 'unsafe-inline' would block (empty when clean)."""
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems
