"""What a member wrote: HTML turned into text, quoted mail and signatures removed, and the
reply read from it (「意見なし」 or an opinion, and 「審議が必要」/「審議は不要」).

Quote headers recognised (a line, or up to three lines when a client wraps it):
- Outlook: 「-----Original Message-----」, 「-----元のメッセージ-----」, and header blocks
  「差出人:/From:/送信者:」 followed by 「送信日時:/Sent:/日時:/宛先:/To:/件名:/Subject:」
- Gmail: "On Tue, Sep 1, 2026 at 10:00 AM 事務局 <…> wrote:",
  「2026年9月1日(火) 10:00 事務局 <…>:」
- Thunderbird: "On 2026/09/01 10:00, Kairan wrote:",
  「2026/09/01 10:00 に Kairan さんは書きました:」
- iPhone/Apple Mail: 「2026/09/01 10:00、Kairan <…>のメール:」,
  "On Sep 1, 2026, at 10:00, … wrote:"
- Becky! and others: "On Tue, 01 Sep 2026 10:00:00 +0900" + "事務局 <…> wrote:"
- forwarded-message separators; "> " quoted lines anywhere (interleaved answers stay).
Signatures: "-- ", 「iPhoneから送信」/"Sent from my …", and a ruled block with contact
details (TEL, 〒, mail, URL) at the end.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

# --- HTML to text ----------------------------------------------------------------------------

_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "hr", "pre", "blockquote", "section", "article", "header", "footer", "dd", "dt", "address",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript"}


class _TextParser(HTMLParser):
    """A small, safe converter: no markup survives, blockquotes become "> " lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current = ""
        self.depth = 0  # blockquote depth
        self.line_depth = 0
        self.skipping = 0
        self.pre = 0

    def _newline(self) -> None:
        self.lines.append((self.line_depth, self.current))
        self.current = ""
        self.line_depth = self.depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            if self.current.strip() or tag in ("br", "p"):
                self._newline()
            if tag == "blockquote":
                self.depth += 1
                self.line_depth = self.depth
            elif tag == "pre":
                self.pre += 1
            elif tag == "hr":
                self.current = "_" * 20
                self._newline()
            elif tag == "li":
                self.current = "・"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK and tag != "br":
            if self.current.strip():
                self._newline()
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)
                self.line_depth = self.depth
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            parts = data.split("\n")
            self.current += parts[0]
            for part in parts[1:]:
                self._newline()
                self.current = part
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data.replace("\xa0", " "))
        if not self.current:
            text = text.lstrip(" ")
        self.current += text

    def text(self) -> str:
        if self.current:
            self._newline()
        out = [("> " * depth + line.strip()).rstrip() for depth, line in self.lines]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def html_to_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.text()


# --- Quotes and signatures -------------------------------------------------------------------

_HEADER_START = re.compile(r"^\*?(From|差出人|送信者|送信元)\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\*?(Sent|Date|送信日時|送信日|日時|日付|To|宛先|Cc|件名|Subject)\*?\s*[:：]", re.IGNORECASE
)
_SEPARATOR_TITLE = re.compile(
    r"^[-_=─━\s]*(Original Message|元のメッセージ|Forwarded message|転送されたメッセージ|"
    r"転送メッセージ|Begin forwarded message:?|転送元のメッセージ)[-_=─━\s:]*$",
    re.IGNORECASE,
)
_EN_WROTE = re.compile(
    r"^(On|Am|Le|El)\s.+\s(wrote|schrieb|a écrit|escribió)\s*[:：]$", re.IGNORECASE
)
_ADDRESS_WROTE = re.compile(
    r"<[^<>\s]+@[^<>\s]+>\s*(wrote|のメール|さんは書きました|書きました)?\s*[:：]$", re.IGNORECASE
)
_DATED = re.compile(r"^\d{4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-]\s*\d{1,2}")
_TIME = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}")
_SENT_FROM = re.compile(
    r"^(Sent from (my )?\S.{0,40}|Get Outlook for \S.{0,30}|.{1,25}から送信(しました)?|"
    r"(iOS|Android)\s*(版|用)?\s*の?\s*Outlook.{0,20})$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^[-_=─━＝－*~〜.・]{6,}$")
_CONTACT = re.compile(r"(TEL|FAX|電話|〒|E-?mail|Mail|@|https?://)", re.IGNORECASE)


def strip_quotes(text: str) -> str:
    """The member's own words: what comes before the quoted mail (or, when the member wrote
    below the quote as Thunderbird invites, after it), without "> " lines and signature."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        kind, span = _quote_header(lines, i)
        if kind == "block" or (kind and any(line.strip() for line in kept)):
            break  # the original mail follows: everything from here is quoted
        if kind:  # "wrote:" above a "> " quote with nothing written yet: bottom-posting
            i += span
            continue
        line = lines[i]
        stripped = line.strip()
        i += 1
        if stripped.startswith((">", "＞")):
            continue
        if stripped == "--" or line == "-- " or _SENT_FROM.match(stripped):
            break
        kept.append(line.rstrip())
    kept = _drop_ruled_signature(kept)
    while kept and (not kept[-1].strip() or _RULE.match(kept[-1].strip())):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


def _quote_header(lines: list[str], i: int) -> tuple[str, int]:
    """("block", n) for a forwarded/original-message separator or an Outlook header block
    (the original follows unquoted); ("attribution", n) for a "… wrote:" line over n lines;
    ("", 0) otherwise."""
    stripped = lines[i].strip()
    if not stripped or stripped.startswith((">", "＞")):
        return "", 0
    if _SEPARATOR_TITLE.match(stripped):
        return "block", 1
    if _HEADER_START.match(stripped):
        following = [line.strip() for line in lines[i + 1 : i + 6] if line.strip()][:4]
        return ("block", 1) if any(_HEADER_NEXT.match(line) for line in following) else ("", 0)
    if _ADDRESS_WROTE.search(stripped):
        return "attribution", 1
    # A "wrote:" line, possibly wrapped over up to three lines by the client.
    for span in (1, 2, 3):
        chunk = lines[i : i + span]
        if len(chunk) < span or not chunk[-1].strip():
            break
        joined = " ".join(line.strip() for line in chunk)
        if _EN_WROTE.match(joined):
            return "attribution", span
        if _DATED.match(stripped) and _TIME.search(joined) and joined.endswith((":", "：")):
            return "attribution", span
    return "", 0


def _drop_ruled_signature(lines: list[str]) -> list[str]:
    """A rule (───── or ======) near the end followed by contact details is a signature."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    for i in content:
        if _RULE.match(lines[i].strip()) and i != content[0]:
            after = [line for line in lines[i + 1 :] if line.strip()]
            if len(after) <= 12 and any(_CONTACT.search(line) for line in after):
                return lines[:i]
    return lines


# --- Reading the reply -----------------------------------------------------------------------


@dataclass(frozen=True)
class Interpretation:
    kind: str  # "no_opinion", "opinion", or "" when there is nothing to record
    opinion: str
    meeting_needed: bool | None
    extra_text: bool  # 「意見なし」 came with more text, which is not recorded


_NO_OPINION = re.compile(
    r"^(特に)?(ご?意見|異議|異論|異存|問題|コメント|指摘事項|指摘)?(は|も|等は|などは)?(特に)?"
    r"(なし|無し|ない|ありません|ございません|ありませんでした|ございませんでした)"
    r"(です|でございます)?$"
)
_NO_OPINION_EN = re.compile(r"^(noopinions?|none|nothing|nocomments?)$")  # spaces removed
_OPINION_MARK = re.compile(r"^(ご?意見(あり|有り|があります|がございます|は以下のとおり(です)?))$")
_MEETING = {"審議が必要": True, "審議は不要": False, "審議不要": False, "審議必要": True,
            "ameetingisneeded": True, "nomeetingneeded": False}  # fmt: skip
_SALUTATION = re.compile(r"(御中|様|各位|殿|先生|ご担当者?)$")
_GREETING = re.compile(
    r"^(お世話になって(おり|い)ます|いつもお世話になって(おり|い)ます|お疲れ(様|さま)です|"
    r"ご連絡ありがとうございます|ご送付ありがとうございます|資料(を)?拝見しました|"
    r"dear\b.*|hello\b.*|hi\b.*)$",
    re.IGNORECASE,
)
# "田中です" / "委員の田中太郎でございます": a self-introduction, unless it says something.
_SELF_INTRO = re.compile(r"^(\S{0,10}の)?\S{1,8}(です|でございます)$")
_SAYS_SOMETHING = re.compile(r"(必要|不要|意見|賛成|反対|問題|修正|確認|質問|審議|なし|ない|あり)")
_CLOSING = re.compile(
    r"^(よろしくお願い(いた)?します|以上(です)?|失礼(いた)?します|[^\d\s、。,.]{1,6})$"
)


def normalise_line(line: str) -> str:
    """For matching only: full-width to half-width, no spaces, no brackets, no final 。."""
    text = unicodedata.normalize("NFKC", line).lower()
    text = re.sub(r"\s+", "", text)
    text = text.strip("「」『』【】[]()〈〉<>\"'*")
    return text.rstrip("。.!！、,")


def interpret(text: str, *, has_attachments: bool = False) -> Interpretation:
    lines = text.split("\n")
    meeting, lines = _meeting_lines(lines)
    content = [line for line in lines if line.strip()]
    if _first_says_no_opinion(content):
        extra = _has_extra_text(content)
        return Interpretation("no_opinion", "", meeting, extra)
    if content and _OPINION_MARK.match(normalise_line(content[0])):
        lines = lines[lines.index(content[0]) + 1 :]
    opinion = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not opinion and has_attachments:
        opinion = "(添付ファイルのとおり)"
    if not opinion:
        return Interpretation("", "", meeting, False)
    return Interpretation("opinion", opinion, meeting, False)


def _meeting_lines(lines: list[str]) -> tuple[bool | None, list[str]]:
    """「審議が必要」/「審議は不要」 on a line of its own; the lines are taken out of the
    opinion. Both at once is unclear: the lines stay and the question stays unanswered."""
    found = {
        i: _MEETING[n] for i, line in enumerate(lines) if (n := _meeting_key(line)) in _MEETING
    }
    values = set(found.values())
    if len(values) != 1:
        return None, lines
    return values.pop(), [line for i, line in enumerate(lines) if i not in found]


def _meeting_key(line: str) -> str:
    key = normalise_line(line)
    return key[:-2] if key.endswith("です") else key


def _first_says_no_opinion(content: list[str]) -> bool:
    """The first thing said, after salutations and greetings, is 「意見なし」 or 「なし」."""
    for line in content[:5]:
        for sentence in re.split(r"[。．!！]", line):
            key = normalise_line(sentence)
            if not key:
                continue
            if _NO_OPINION.match(key) or _NO_OPINION_EN.match(key):
                return True
            if _is_greeting(key):
                continue
            return False
    return False


def _is_greeting(key: str) -> bool:
    if _SALUTATION.search(key) or _GREETING.match(key):
        return True
    return bool(_SELF_INTRO.match(key)) and not _SAYS_SOMETHING.search(key)


def _has_extra_text(content: list[str]) -> bool:
    """Anything besides the 「意見なし」 line, greetings and closings (for the receipt)."""
    for line in content:
        for sentence in re.split(r"[。．!！]", line):
            key = normalise_line(sentence)
            if not key or _NO_OPINION.match(key) or _NO_OPINION_EN.match(key):
                continue
            if _is_greeting(key) or _CLOSING.match(key):
                continue
            return True
    return False
