"""What a member wrote: HTML turned into text, and the quoted mail, the quote headers and
the signatures taken out. The member's own text stays wherever it stands: above the quote,
below it (bottom-posting) or between quoted passages (interleaved). reading.py reads it.

Quote headers recognised (a line, or up to four lines when a client wraps it):
- Outlook, Windows Live Mail, Android carriers' mail: 「-----Original Message-----」,
  「----- 元のメッセージ -----」 and header blocks 「差出人:/From:/送信者:」 followed by
  「送信日時:/Sent:/日時:/宛先:/To:/件名:/Subject:」: the original follows unquoted, so
  everything from there on goes
- Gmail: "On Tue, Sep 1, 2026 at 10:00 AM 事務局 <…> wrote:",
  「2026年9月1日(火) 10:00 事務局 <…>:」 (also wrapped inside the address)
- Thunderbird: "On 2026/09/01 10:00, Kairan wrote:",
  「2026/09/01 10:00 に Kairan さんは書きました:」
- iPhone/Apple Mail: 「2026/09/01 10:00、Kairan <…>のメール:」,
  "On Sep 1, 2026, at 10:00, … wrote:"
- Becky! and others: "On Tue, 01 Sep 2026 10:00:00 +0900" + "事務局 <…> wrote:"
- forwarded-message separators; "> " and 「＞」 quoted lines anywhere.
Signatures, at the end of each passage the member wrote: "-- " and "--" (with or without a
name), a "-Name" sign-off, 「iPhoneから送信」/"Sent from my …", a block ruled by ━ ─ = - and
the like holding contact details, and trailing contact lines (携帯 / TEL / 電話 / FAX / phone
numbers, 〒 and addresses, mail addresses, URLs) with the name above them.
"""

from __future__ import annotations

import re
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
    r"^[-_=─━\s]*(Original Message|元のメッセージ|元のメール|Forwarded message|"
    r"転送されたメッセージ|転送メッセージ|Begin forwarded message:?|転送元のメッセージ)"
    r"[-_=─━\s:]*$",
    re.IGNORECASE,
)
_EN_WROTE = re.compile(
    r"^(On|Am|Le|El|Op|Il|At)\s.+\s(wrote|writes|schrieb|a écrit|escribió|schreef|ha scritto)"
    r"\s*[:：]$",
    re.IGNORECASE,
)
_JA_WROTE = re.compile(r"(さんは書きました|は書きました|書きました|のメール|からのメール)\s*[:：]$")
_ADDRESS_COLON = re.compile(r"<?[^<>\s]+@[^<>\s]+>?\s*(wrote)?\s*[:：]$", re.IGNORECASE)
_DATED = re.compile(r"\d{2,4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-]\s*\d{1,2}")
_TIME = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}")
_SENT_FROM = re.compile(
    r"^(Sent from (my )?\S.{0,40}|Get Outlook for \S.{0,30}|.{1,25}から送信(しました)?|"
    r"(iOS|Android)\s*(版|用)?\s*の?\s*Outlook.{0,20})$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^[-_=─━＝－*~〜.・■□◆◇★☆＊]{6,}$")
# "--", "-- Taro Tanaka", "--Taro", "-Taro", "-Taro Tanaka" (not a "- item" of a list)
_DASH_SIGNOFF = re.compile(r"^--\s*([A-Za-z][A-Za-z .'\-]{0,30})?$|^-[A-Z][a-z]+( [A-Z][a-z]+)?$")
_PHONE = re.compile(
    r"(\+?\d{1,4}[-‐－ー\s(（]{0,2})?\d{2,4}[-‐－ー\s)）]{1,2}\d{2,4}[-‐－ー\s]{1,2}\d{3,4}"
)
_CONTACT_LABEL = re.compile(
    r"^[\s【\[(（]*(携帯|TEL|Tel|FAX|Fax|電話|内線|直通|Phone|Mobile|Mob|Cell|E-?mail|"
    r"Mail|メール|URL|Web|HP|〒|住所|所在地|Address)",
    re.IGNORECASE,
)
_CONTACT_ANY = re.compile(r"(携帯|TEL|FAX|電話|〒|E-?mail|Mail|@|https?://|Phone)", re.IGNORECASE)
_ONLY_LINK = re.compile(r"^[\s(（<]*(https?://\S+|[\w.+\-]+@[\w\-]+(\.[\w\-]+)+)[\s)）>]*$")
_POSTAL_ADDRESS = re.compile(r"^(〒\s*)?\d{3}-?\d{4}|^.{0,6}(都|道|府|県).{1,12}(市|区|町|村)")
_SENTENCE_END = re.compile(r"(。|です|ます|ません|ください|たい|ない|なし|でした|ました)$")


def is_quote_line(line: str) -> bool:
    return line.strip().startswith((">", "＞"))


def strip_quotes(text: str) -> str:
    """The member's own words, wherever they stand: the passages between quoted mail, each
    without its signature, in order; quote headers and quoted lines gone."""
    lines = text.replace("\r\n", "\n").split("\n")
    passages: list[list[str]] = [[]]
    i = 0
    while i < len(lines):
        kind, span = _quote_header(lines, i)
        if kind == "block":
            break  # the original mail follows unquoted: everything from here is quoted
        if kind or is_quote_line(lines[i]):
            i += span or 1
            if passages[-1]:
                passages.append([])
            continue
        passages[-1].append(lines[i].rstrip())
        i += 1
    kept = [_without_signature(passage) for passage in passages]
    text = "\n\n".join(p for p in ("\n".join(passage).strip("\n") for passage in kept) if p.strip())
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _quote_header(lines: list[str], i: int) -> tuple[str, int]:
    """("block", n) for a forwarded/original-message separator or an Outlook header block
    (the original follows unquoted); ("attribution", n) for a "… wrote:" line, wrapped by
    the client over up to four lines; ("", 0) otherwise."""
    stripped = lines[i].strip()
    if not stripped or is_quote_line(stripped):
        return "", 0
    if _SEPARATOR_TITLE.match(stripped):
        return "block", 1
    if _HEADER_START.match(stripped):
        following = [line.strip() for line in lines[i + 1 : i + 6] if line.strip()][:4]
        return ("block", 1) if any(_HEADER_NEXT.match(line) for line in following) else ("", 0)
    if _RULE.match(stripped) and i + 1 < len(lines) and _HEADER_START.match(lines[i + 1].strip()):
        return _quote_header(lines, i + 1)[0], 1  # Outlook's line above its header block
    for span in (1, 2, 3, 4):
        chunk = [line.strip() for line in lines[i : i + span]]
        if len(chunk) < span or not chunk[-1] or any(is_quote_line(c) for c in chunk):
            break
        if _is_attribution(chunk, quote_follows=_quote_follows(lines, i + span)):
            return "attribution", span
    return "", 0


def _is_attribution(chunk: list[str], *, quote_follows: bool) -> bool:
    joined = " ".join(chunk)
    squeezed = re.sub(r"\s*([<>@])\s*", r"\1", joined)  # "<\nkairan@x>" wrapped in the address
    if not squeezed.endswith((":", "：")):
        return False
    if _EN_WROTE.match(joined) or _EN_WROTE.match(squeezed):
        return True
    dated = bool(_DATED.search(joined)) and bool(_TIME.search(joined))
    if _JA_WROTE.search(squeezed) and (dated or "@" in squeezed or quote_follows):
        return True
    if _ADDRESS_COLON.search(squeezed) and (dated or quote_follows):
        return True
    return dated and quote_follows and len(joined) <= 200


def _quote_follows(lines: list[str], i: int) -> bool:
    """The next line that is not blank is quoted."""
    for line in lines[i : i + 3]:
        if line.strip():
            return is_quote_line(line)
    return False


def _without_signature(lines: list[str]) -> list[str]:
    """One passage the member wrote, its signature (if any) cut off."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line == "-- " or _SENT_FROM.match(stripped):
            lines = lines[:index]
            break
        if _DASH_SIGNOFF.match(stripped) and _near_the_end(lines, index):
            lines = lines[:index]
            break
    lines = _drop_ruled_signature(lines)
    lines = _drop_contact_block(lines)
    while lines and (not lines[-1].strip() or _RULE.match(lines[-1].strip())):
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _near_the_end(lines: list[str], index: int) -> bool:
    """A "-Name" or "--" line is a sign-off when little follows it (a name, contacts)."""
    after = [line for line in lines[index + 1 :] if line.strip()]
    return len(after) <= 6


def _drop_ruled_signature(lines: list[str]) -> list[str]:
    """A rule (━━━━━ or ======) near the end followed by contact details is a signature."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    for i in content:
        if _RULE.match(lines[i].strip()) and i != content[0]:
            after = [line for line in lines[i + 1 :] if line.strip()]
            contact = any(_CONTACT_ANY.search(line) or _PHONE.search(line) for line in after)
            if len(after) <= 12 and contact:
                return lines[:i]
    return lines


def _drop_contact_block(lines: list[str]) -> list[str]:
    """Contact lines at the end (携帯 090-…, TEL, 〒 and the address, mail, URL), at least one
    of them labelled or a phone number, and the name lines just above them."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start, labelled = end, False
    while start and lines[start - 1].strip() and _is_contact_line(lines[start - 1].strip()):
        stripped = lines[start - 1].strip()
        labelled = labelled or not _ONLY_LINK.match(stripped)
        start -= 1
    if start == end or not labelled:
        return lines
    names = 0
    while start and names < 3 and _is_name_line(lines[start - 1].strip()):
        start -= 1
        names += 1
    return lines[:start]


def _is_contact_line(line: str) -> bool:
    if _CONTACT_LABEL.match(line) or _ONLY_LINK.match(line) or _POSTAL_ADDRESS.match(line):
        return len(line) <= 80
    digits = _PHONE.sub("", line)
    return bool(_PHONE.search(line)) and len(digits.strip(" :：()（）")) <= 12


def _is_name_line(line: str) -> bool:
    """A short line naming the person or their office: no sentence, nothing said."""
    if not line or len(line) > 30 or _SENTENCE_END.search(line) or "、" in line:
        return False
    return not _RULE.match(line) and not is_quote_line(line)
