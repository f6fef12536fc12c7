"""Decoding text in the charsets Japanese mail really uses, including the mislabelled ones.

- Shift_JIS is decoded as CP932 (Windows-31J), its superset: ①, ㈱, ～ and IBM extensions
  written by Windows clients are not valid Shift_JIS.
- ISO-2022-JP from Outlook is often CP50221 (NEC special characters such as ① in row 13):
  strict ISO-2022-JP first, then the JIS bytes converted to Shift_JIS and read as CP932.
- EUC-JP falls back to EUC-JIS-2004.
- A missing or wrong label: UTF-8, then ISO-2022-JP (escape sequences), CP932, EUC-JP.
Nothing here raises: the last resort replaces undecodable bytes.
"""

from __future__ import annotations

import codecs
import email.errors
import email.header
import re

_SJIS = "cp932"
_ALIASES = {
    "shift_jis": _SJIS,
    "shift-jis": _SJIS,
    "sjis": _SJIS,
    "x-sjis": _SJIS,
    "ms_kanji": _SJIS,
    "csshiftjis": _SJIS,
    "windows-31j": _SJIS,
    "cp932": _SJIS,
    "iso-2022-jp": "iso2022_jp",
    "csiso2022jp": "iso2022_jp",
    "iso-2022-jp-1": "iso2022_jp",
    "iso-2022-jp-2": "iso2022_jp",
    "iso-2022-jp-3": "iso2022_jp",
    "iso-2022-jp-2004": "iso2022_jp",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "utf8": "utf-8",
    "us-ascii": "ascii",
}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in the declared charset, or the best guess when that fails."""
    name = _canonical(charset)
    attempts: list[str] = []
    if b"\x1b$" in data and name in ("", "ascii", "utf-8", "iso2022_jp"):
        attempts = ["iso2022_jp", "cp50221"]  # JIS escapes: ISO-2022-JP, labelled or not
    elif name == "euc_jp":
        attempts = ["euc_jp", "euc_jis_2004"]
    elif name:
        attempts = [name]
    attempts += ["utf-8", _SJIS, "euc_jp"]
    for attempt in attempts:
        text = _try(data, attempt)
        if text is not None:
            return _newlines(text)
    return _newlines(data.decode("utf-8", errors="replace"))


def decode_header_value(value: str) -> str:
    """A header's text: RFC 2047 encoded words (joined before decoding, because clients
    split a multibyte character across two words), raw 8-bit bytes, or raw ISO-2022-JP."""
    value = re.sub(r"\r?\n[ \t]+", " ", value or "").strip()
    if _has_surrogates(value):  # 8-bit bytes in a header, kept by the parser as surrogates
        value = decode_bytes(value.encode("ascii", "surrogateescape"), None)
    if "\x1b" in value:
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), "iso-2022-jp")
    if "=?" not in value:
        return value
    try:
        parts = email.header.decode_header(value)
    except (ValueError, email.errors.HeaderParseError):
        return value
    text = "".join(
        part if isinstance(part, str) else decode_bytes(part, charset) for part, charset in parts
    )
    return text.replace("\n", " ").strip()


def _canonical(charset: str | None) -> str:
    if not charset:
        return ""
    lowered = charset.strip().strip('"').lower()
    return _ALIASES.get(lowered, lowered)


def _known(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _try(data: bytes, encoding: str) -> str | None:
    if encoding == "cp50221":
        return _cp50221(data)
    if not _known(encoding):
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


_ESCAPES = {
    b"\x1b(B": "ascii",
    b"\x1b(J": "ascii",  # JIS X 0201 Roman: treated as ASCII
    b"\x1b(I": "kana",  # JIS X 0201 katakana
    b"\x1b$@": "jis",
    b"\x1b$B": "jis",
    b"\x1b$(D": "jis",  # JIS X 0212: rare; its bytes do not map to CP932, replaced below
}


def _cp50221(data: bytes) -> str | None:
    """ISO-2022-JP as Windows writes it (CP50220/50221): JIS → Shift_JIS bytes → CP932."""
    out = bytearray()
    mode = "ascii"
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            for seq, new_mode in _ESCAPES.items():
                if data.startswith(seq, i):
                    mode, i = new_mode, i + len(seq)
                    break
            else:
                return None
            continue
        byte = data[i]
        if byte in (0x0A, 0x0D):
            out.append(byte)
            i += 1
        elif mode == "jis" and i + 1 < len(data):
            out += _jis_to_sjis(byte, data[i + 1])
            i += 2
        elif mode == "kana" and 0x21 <= byte <= 0x5F:
            out.append(byte + 0x80)
            i += 1
        elif byte < 0x80:
            out.append(byte)
            i += 1
        else:
            return None  # 8-bit bytes: not ISO-2022-JP at all
    return out.decode(_SJIS, errors="replace")


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
        return b"?"
    s2 = (j2 + 0x1F + (1 if j2 >= 0x60 else 0)) if j1 % 2 else j2 + 0x7E
    s1 = (j1 + 1) // 2 + 0x70
    if s1 >= 0xA0:
        s1 += 0x40
    return bytes((s1, s2))
