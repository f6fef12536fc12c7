"""PDFs written byte by byte, the way an attacker would: objects hidden in compressed object
streams (PDF 1.5+), found through a cross-reference stream, with whatever dictionary and
predictor the attacker likes. Every file here is also read back by a real PDF library in the
tests, so a refusal is for what the file holds, not because it is unreadable."""

from __future__ import annotations

import struct
import zlib

CATALOG = b"<</Type/Catalog/Pages 2 0 R>>"
PAGES = b"<</Type/Pages/Kids[3 0 R]/Count 1>>"
PAGE = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"


def png_up(data: bytes, columns: int) -> bytes:
    """PNG "Up" prediction (/Predictor 12): each byte minus the one above it."""
    rows = [data[i : i + columns].ljust(columns, b"\x00") for i in range(0, len(data), columns)]
    out, previous = bytearray(), bytes(columns)
    for row in rows:
        out += b"\x02" + bytes((a - b) % 256 for a, b in zip(row, previous, strict=True))
        previous = row
    return bytes(out)


def build(
    objects: dict[int, bytes],
    *,
    hidden: dict[int, bytes] | None = None,
    stream_extra: bytes = b"",
    predictor: int = 0,
    encode=zlib.compress,
    filters: bytes = b"/FlateDecode",
    root: int = 1,
) -> bytes:
    """A PDF with `objects` written plainly and `hidden` ones inside one object stream.

    `stream_extra` goes into the object stream's dictionary (e.g. b"/Note(obj)"),
    `predictor` > 0 encodes it with PNG Up prediction over that many columns."""
    hidden = hidden or {}
    top = max([*objects, *hidden, 0])
    objstm, xref = top + 1, top + 2
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def write(number: int, content: bytes) -> None:
        offsets[number] = len(body)
        body.extend(b"%d 0 obj\n" % number + content + b"\nendobj\n")

    for number, content in sorted(objects.items()):
        write(number, content)
    index: dict[int, int] = {}
    if hidden:
        header, parts, position = [], [], 0
        for i, (number, content) in enumerate(sorted(hidden.items())):
            index[number] = i
            header.append(b"%d %d" % (number, position))
            parts.append(content)
            position += len(content) + 1
        first = b" ".join(header) + b"\n"
        raw = first + b"\n".join(parts) + b"\n"
        parms = b""
        if predictor:
            raw = png_up(raw, predictor)
            parms = b"/DecodeParms<</Predictor 12/Columns %d>>" % predictor
        data = encode(raw)
        write(objstm, b"<</Type/ObjStm/N %d/First %d/Filter%s%s%s/Length %d>>\nstream\n"
              % (len(hidden), len(first), filters, parms, stream_extra, len(data))
              + data + b"\nendstream")  # fmt: skip
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, xref):
        if number in offsets:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
        elif number in index:
            rows.append(struct.pack(">BIH", 2, objstm, index[number]))
        else:
            rows.append(struct.pack(">BIH", 0, 0, 0))
    rows.append(struct.pack(">BIH", 1, len(body), 0))
    table = b"".join(rows)
    start = len(body)
    body.extend(
        b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root %d 0 R/Length %d>>\nstream\n"
        % (xref, xref + 1, root, len(table))
        + table
        + b"\nendstream\nendobj\n"
    )
    body.extend(b"startxref\n%d\n%%%%EOF\n" % start)
    return bytes(body)


def plain(*extra: bytes, catalog: bytes = CATALOG) -> bytes:
    """A one-page PDF with `extra` objects numbered from 4."""
    objects = {1: catalog, 2: PAGES, 3: PAGE}
    objects.update({4 + i: obj for i, obj in enumerate(extra)})
    return build(objects)
