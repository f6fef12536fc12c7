"""Small but real files of every kind the secretariat uploads, and the ones we refuse."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.circulation import cfb

_MAIN_TYPES = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xd9"


def ooxml(
    kind: str,
    *,
    extra: dict[str, bytes] | None = None,
    macro: bool = False,
    types: str = "",
    rels: str = "",
    body: str = "<document>議事録</document>",
) -> bytes:
    """A minimal OOXML file; `types` adds content-type overrides, `rels` relationships of
    the main part (word/_rels/document.xml.rels and the like)."""
    part, main = _MAIN_TYPES[kind]
    content_type = f"application/vnd.openxmlformats-officedocument.{main}"
    if macro:
        content_type = "application/vnd.ms-word.document.macroEnabled.main+xml"
    types_xml = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/content-types"><Override PartName="/{part}" ContentType="{content_type}"/>'
        f"{types}</Types>"
    )
    folder, name = part.split("/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types_xml)
        archive.writestr(part, body)
        if rels:
            archive.writestr(
                f"{folder}/_rels/{name}.rels",
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
            )
        if macro:
            archive.writestr("word/vbaProject.bin", b"\x00" * 64)
        for extra_name, data in (extra or {}).items():
            archive.writestr(extra_name, data)
    return buffer.getvalue()


def relationship(kind: str, target: str, *, external: bool = True) -> str:
    mode = ' TargetMode="External"' if external else ""
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return f'<Relationship Id="{kind}{len(target)}" Type="{base}/{kind}" Target="{target}"{mode}/>'


def word_fields(*codes: str) -> str:
    """A document.xml whose paragraph holds the given field codes."""
    runs = "".join(
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f"<w:r><w:instrText>{code}</w:instrText></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        for code in codes
    )
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    return (
        f'<w:document xmlns:w="{namespace}"><w:body><w:p>{runs}'
        "<w:r><w:t>議事録</w:t></w:r></w:p></w:body></w:document>"
    )


def zip_bomb_docx() -> bytes:
    """A .docx whose one part expands from a few kilobytes to 20 MB of zeros."""
    return ooxml("docx", extra={"word/media/padding.bin": b"\x00" * (20 * 1024 * 1024)})


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def ole2(stream: str, **more) -> bytes:
    """A real compound file holding the named stream (with believable content) and `more`
    (name → bytes, or → dict for a storage)."""
    content = {"WordDocument": cfb.word_text("議事録".encode("cp932").decode("latin-1")),
               "Workbook": cfb.biff(cfb.sheet("Sheet1"))}.get(stream, b"\x00" * 200)  # fmt: skip
    return cfb.compound({stream: content, **more})


# The signature of a compound file with nothing readable behind it.
OLE2_HEADER_ONLY = cfb.MAGIC + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 600
UTF8_TEXT = "第12回 管理運用会議 議事録\n出席者: 山田、鈴木\n".encode()
SJIS_TEXT = "第12回 管理運用会議 議事録\r\n出席者: 山田、鈴木\r\n".encode("cp932")
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    """What the browser sends; its content type is deliberately ignored by the checks."""
    return SimpleUploadedFile(name, data, content_type=content_type)
