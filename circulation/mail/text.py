"""What mails show of text people wrote: the explanation (Markdown) as readable plain text for
a mail's text part, and at most a page of a long text.

The explanation is rendered by the same Markdown as the pages (circulation/reads/markdown.py), then
its HTML is written out as text: paragraphs and headings as lines, list items with 「・」 or
their number, links as "text (URL)", quotes with "> ", tables as rows joined by " | ".
No Markdown syntax (#, **, [..](..)) reaches the member.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from circulation.reads.markdown import render_markdown

# About one printed page of Japanese text: a receipt quotes no more of a long text.
PAGE_CHARACTERS = 1500
PAGE_LINES = 40


def first_page(text: str) -> tuple[str, bool]:
    """At most a page of `text`, and whether the rest was left out."""
    lines = (text or "").split("\n")
    page = "\n".join(lines[:PAGE_LINES])
    cut = len(lines) > PAGE_LINES or len(page) > PAGE_CHARACTERS
    return page[:PAGE_CHARACTERS].rstrip(), cut


@functools.lru_cache(maxsize=64)  # a notice to every recipient renders the same text
def markdown_as_text(text: str) -> str:
    if not text.strip():
        return ""
    parser = _PlainText()
    parser.feed(str(render_markdown(text)))
    parser.close()
    return parser.text()


_BREAKS = {"p", "h3", "h4", "ul", "ol", "blockquote", "pre", "table", "hr"}


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.lists: list[list[int]] = []  # [counter] per open list; -1 for bullets
        self.quote = 0
        self.href: str | None = None
        self.link_text = ""
        self.cells: list[str] = []

    def _flush(self) -> None:
        if self.line.strip():
            self.lines.append("> " * self.quote + self.line.rstrip())
        self.line = ""

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol") and self.lists:
            self._flush()  # a list inside a list item: no blank line
        elif tag in _BREAKS:
            self._blank()
        if tag == "br" or tag == "tr":
            self._flush()
        elif tag in ("ul", "ol"):
            self.lists.append([0 if tag == "ol" else -1])
        elif tag == "li":
            self._flush()
            counter = self.lists[-1] if self.lists else [-1]
            if counter[0] >= 0:
                counter[0] += 1
                self.line = "  " * (len(self.lists) - 1) + f"{counter[0]}. "
            else:
                self.line = "  " * max(len(self.lists) - 1, 0) + "・"
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.link_text = ""
        elif tag == "hr":
            self.lines += ["――――――――――", ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.href is not None:
            shown = self.link_text.strip()
            if self.href and self.href.removeprefix("mailto:") != shown:
                self.line += f" ({self.href})" if shown else self.href
            self.href = None
        elif tag in ("td", "th"):
            self.cells.append(self.line.strip())
            self.line = ""
        elif tag == "tr":
            self.line = " | ".join(self.cells)
            self.cells = []
            self._flush()
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if not self.lists:
                self._blank()
        elif tag == "blockquote":
            self._flush()
            self.quote = max(0, self.quote - 1)
            self._blank()
        elif tag in _BREAKS or tag == "li":
            self._flush() if tag == "li" else self._blank()

    def handle_data(self, data: str) -> None:
        text = re.sub(r"[ \t\r\n]+", " ", data)
        if not self.line.strip():
            text = text.lstrip()
        if self.href is not None:
            self.link_text += text
        self.line += text

    def text(self) -> str:
        self._flush()
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self.lines)).strip()
