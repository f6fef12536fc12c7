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


# Elements a payload would smuggle in; none of Kairan's pages uses them.
_SMUGGLED_TAGS = {"svg", "iframe", "object", "embed", "math", "base", "frame", "frameset"}


class _MarkupFinder(HTMLParser):
    """Markup that would run or load something: what an XSS payload tries to add."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
        if tag in _SMUGGLED_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            self._in_code += 1
            kind = (names.get("type") or "").lower()
            if not names.get("src") and kind not in DATA_SCRIPT_TYPES:
                self.problems.append("inline <script>")
        if tag == "style":
            self._in_code += 1
        if tag == "img" and not (names.get("src") or "").startswith(("/", "data:image/")):
            self.problems.append(f"<img src={names.get('src')!r}>")
        for name in ("href", "src", "action", "formaction", "xlink:href", "data"):
            value = "".join((names.get(name) or "").split()).lower()
            if value.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value[:30]}…>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._in_code:
            self._in_code -= 1

    def handle_data(self, data: str) -> None:
        if not self._in_code:
            self.text.append(data)


def injected_markup(html: str) -> list[str]:
    """Script, event handlers, javascript: URLs and foreign elements in the page (empty
    when clean). Unlike `inline_code`, inline style attributes are allowed (mail bodies)."""
    finder = _MarkupFinder()
    finder.feed(html)
    return finder.problems


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (entities decoded; script and style left out):
    an escaped payload shows up here literally, a payload that became markup does not."""
    finder = _MarkupFinder()
    finder.feed(html)
    finder.close()
    return "".join(finder.text)
