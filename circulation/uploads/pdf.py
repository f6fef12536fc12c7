"""Finding active content in a PDF: JavaScript and Launch actions.

Kairan refuses such PDFs (docs/security.md, "Uploads"): a council's materials are documents
to read, macros in Office files are refused for the same reason, and members open the
materials in whatever PDF reader they have. Printing the document to PDF again removes them.

An action dictionary must name its type: `/JavaScript` or `/JS` (a script), `/Launch`
(start another program). The check looks for those names in the file and inside its object
streams (PDF 1.5+ keeps dictionaries in compressed object streams; images and fonts cannot
hold dictionaries and are not decoded), with `#xx` escapes decoded (`/J#61vaScript` is
`/JavaScript`). Object streams are decoded for the filters producers use — Flate, possibly
behind ASCIIHex or ASCII85 — and one in any other filter is reported as uninspectable rather
than passed unseen. Decoding stops at a budget, so a decompression bomb costs bounded work
and is reported as such.

Not covered (docs/security.md, "Open"): an encrypted PDF's object streams cannot be read
without decrypting them, so a script hidden there is not seen.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator
from typing import IO

ACTIVE_NAMES = {b"JavaScript": "javascript", b"JS": "javascript", b"Launch": "launch"}
# Decoded bytes examined across all streams of one file, and of any single stream.
MAX_DECODED_TOTAL = 256 * 1024 * 1024
MAX_DECODED_STREAM = 64 * 1024 * 1024
_DECODED_FILTERS = {b"FlateDecode", b"Fl", b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85"}
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
_END = b"endstream"
_DICT_LOOKBACK = 16 * 1024


class PdfUninspectable(Exception):
    """The PDF cannot be checked: its streams decode beyond the budget (a decompression
    bomb), or an object stream uses a filter the check does not decode."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "bomb" or "filter"


def _names(data: bytes | memoryview) -> set[bytes]:
    return {
        _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), m[1]) for m in _NAME.finditer(bytes(data))
    }


def _active_in(data: bytes | memoryview) -> set[str]:
    found = _names(data)
    return {kind for name, kind in ACTIVE_NAMES.items() if name in found}


def _stream_dict(data: bytes, start: int) -> set[bytes] | None:
    """The names in the dictionary just before a `stream` keyword (its /Type, /Filter…);
    None when the object's start is not within reach (then the stream is decoded anyway)."""
    head = data[max(0, start - _DICT_LOOKBACK) : start]
    opening = head.rfind(b"obj")
    return _names(head[opening:]) if opening >= 0 else None


def _inflate(data: bytes, view: memoryview, start: int, limit: int) -> bytes | None:
    """Inflate the Flate stream starting at `start`; None if it is not Flate. An
    `endstream` inside the compressed bytes cannot cut the input short: feeding goes on
    until the inflater says the stream has ended."""
    inflater = zlib.decompressobj()
    out: list[bytes] = []
    size, position, search = 0, start, start
    while not inflater.eof and position < len(data):
        end = data.find(_END, search)
        end = len(data) if end < 0 else end
        try:
            piece = inflater.decompress(view[position:end], limit - size + 1)
        except zlib.error:
            return b"".join(out) if out else None
        size += len(piece)
        if size > limit or inflater.unconsumed_tail:
            raise PdfUninspectable("bomb")
        out.append(piece)
        position, search = end, end + 1
    return b"".join(out)


def _text_decoded(raw: bytes) -> bytes | None:
    """ASCIIHex (`…>`) or ASCII85 (`…~>`) text, decoded; None if it is neither."""
    text = raw.strip()
    try:
        if text.endswith(b"~>"):
            body = text.removeprefix(b"<~").removesuffix(b"~>")
            return base64.a85decode(body, adobe=False, ignorechars=b" \t\r\n\f\x00")
        if text.endswith(b">") and re.fullmatch(rb"[0-9A-Fa-f\s]*>", text):
            digits = re.sub(rb"\s", b"", text[:-1])
            return binascii.unhexlify(digits + b"0" * (len(digits) % 2))
    except (ValueError, binascii.Error):
        return None
    return None


def _decoded_streams(data: bytes) -> Iterator[bytes]:
    budget = MAX_DECODED_TOTAL
    view = memoryview(data)
    for match in _STREAM.finditer(data):
        start = match.end()
        dictionary = _stream_dict(data, match.start())
        if dictionary is not None and b"ObjStm" not in dictionary:
            continue  # page content, images, fonts: no dictionaries inside
        dictionary = dictionary or set()
        filters = {n for n in dictionary if n.endswith(b"Decode") or n in _DECODED_FILTERS}
        if filters - _DECODED_FILTERS:
            raise PdfUninspectable("filter")
        limit = min(budget, MAX_DECODED_STREAM)
        decoded = _inflate(data, view, start, limit)
        if decoded is None and filters & {b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85"}:
            end = data.find(_END, start)
            text = _text_decoded(data[start : end if end >= 0 else len(data)])
            if text is not None:
                decoded = _inflate(text, memoryview(text), 0, limit) or text
        if decoded:
            budget -= len(decoded)
            yield decoded


def active_content(file: IO[bytes]) -> set[str]:
    """{"javascript", "launch"} or a subset: the kinds of active content in the PDF.
    Raises PdfUninspectable when the PDF cannot be checked."""
    file.seek(0)
    try:
        data = file.read()
    finally:
        file.seek(0)
    found = _active_in(data)
    for decoded in _decoded_streams(data):
        found |= _active_in(decoded)
    return found
