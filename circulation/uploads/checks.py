"""Checking an uploaded material (資料) by its content, never by its name.

Accepted: PDF, Word, Excel, PowerPoint (legacy OLE2 and OOXML), plain text, PNG and JPEG.
Everything else — HTML, executables, archives, macro-enabled Office files, PDFs with
JavaScript or Launch actions, zip bombs — is refused with a message that names the file and
the reason, so the secretariat can fix it.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

import filetype
import olefile
from django.conf import settings
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from circulation.uploads import office as officescan
from circulation.uploads import virus as virusscan
from circulation.uploads.pdf import PdfUninspectable, active_content

logger = logging.getLogger(__name__)
CHUNK = 64 * 1024
# OOXML files are zips: refuse archives that would expand to absurd sizes when opened.
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_ENTRY_RATIO = 250  # uncompressed / compressed, for entries over 1 MB
MAX_ZIP_ENTRIES = 5000
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]
    viewable: bool = False  # may be shown inline in the browser


PDF = Kind("pdf", "PDF", "application/pdf", (".pdf",), viewable=True)
PNG = Kind("png", "PNG", "image/png", (".png",), viewable=True)
JPEG = Kind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg", ".jpe"), viewable=True)
DOC = Kind("doc", "Word", "application/msword", (".doc", ".docx"))
DOCX = Kind(
    "docx",
    "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx", ".doc"),
)
XLS = Kind("xls", "Excel", "application/vnd.ms-excel", (".xls", ".xlsx"))
XLSX = Kind(
    "xlsx",
    "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx", ".xls"),
)
PPT = Kind("ppt", "PowerPoint", "application/vnd.ms-powerpoint", (".ppt", ".pptx"))
PPTX = Kind(
    "pptx",
    "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx", ".ppt"),
)
TEXT_EXTENSIONS = (".txt", ".text", ".csv", ".md")
KINDS = {k.code: k for k in (PDF, PNG, JPEG, DOC, DOCX, XLS, XLSX, PPT, PPTX)}

# OOXML: the part that must exist, and the main content type [Content_Types].xml must name.
_OOXML = (
    (DOCX, "word/document.xml", b"wordprocessingml.document.main+xml"),
    (XLSX, "xl/workbook.xml", b"spreadsheetml.sheet.main+xml"),
    (PPTX, "ppt/presentation.xml", b"presentationml.presentation.main+xml"),
)
# Legacy Office: the stream a Word/Excel/PowerPoint compound file carries.
_OLE2_STREAMS = (
    (DOC, "WordDocument"),
    (XLS, "Workbook"),
    (XLS, "Book"),
    (PPT, "PowerPoint Document"),
)
_PROGRAMS = {"Word": "word", "Excel": "excel", "PowerPoint": "powerpoint"}
_MARKUP = re.compile(
    rb"^\s*<(?:!doctype|html|head|body|script|iframe|svg|\?xml|object|embed|meta|style)\b",
    re.IGNORECASE,
)


# Controls that never occur in a plain text document (tab, newlines and form feed do).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class UploadRefused(Exception):
    """The file is not accepted; str() is the message for the secretariat."""


@dataclass
class CheckedUpload:
    """An accepted file with what the Material row needs."""

    file: IO[bytes]
    original_name: str
    content_type: str
    kind: str
    size: int
    sha256: str
    stash_path: str = ""  # set when the file was kept between two submissions


def clean_original_name(name: str) -> str:
    """The name shown to people: no folders, no control or bidi-override characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = posixpath.basename(name.replace("\\", "/"))
    # Cc: control characters; Cf: format characters such as U+202E RIGHT-TO-LEFT OVERRIDE,
    # which would make "cod.exe" look like "exe.doc".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or _("資料")


def extension_of(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and _stem else ""


def check_upload(uploaded: File) -> CheckedUpload:
    """Accept or refuse one uploaded file. Raises UploadRefused naming the file."""
    name = clean_original_name(getattr(uploaded, "name", "") or "")
    size = uploaded.size
    limit = settings.KAIRAN_MAX_UPLOAD_BYTES
    if size is None or size > limit:
        raise UploadRefused(
            _("「%(name)s」は大きすぎます(%(size)s)。1ファイル%(limit)sまでです。")
            % {"name": name, "size": filesizeformat(size or 0), "limit": filesizeformat(limit)}
        )
    if size == 0:
        raise UploadRefused(_("「%(name)s」は空のファイルです。") % {"name": name})
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    kind, content_type = _detect(head, uploaded, name)
    name = _name_matching(name, kind)
    if virusscan.enabled():
        _scan(uploaded, name)
    return CheckedUpload(
        file=uploaded,
        original_name=name,
        content_type=content_type,
        kind=kind.code,
        size=size,
        sha256=_sha256(uploaded),
    )


def _scan(file: File, name: str) -> None:
    """clamd must answer OK; anything else refuses the file (fail closed)."""
    try:
        verdict = virusscan.scan(file)
    except virusscan.ScannerUnavailable as exc:
        logger.error("clamd unreachable, upload %r refused: %s", name, exc)
        raise _refuse(
            name,
            _(
                "ウイルス検査のサーバーに接続できないため、いまはファイルを受け付けられません。"
                "しばらくしてからもう一度送信してください。"
            ),
        ) from None
    except virusscan.ScanError as exc:
        logger.error("clamd could not scan upload %r: %s", name, exc)
        raise _refuse(name, _("ウイルス検査で確認できなかったため受け付けられません。")) from None
    if not verdict.clean:
        logger.warning("clamd found %s in upload %r", verdict.virus, name)
        raise _refuse(
            name,
            _("ウイルス検査でウイルスが見つかりました(%(virus)s)。") % {"virus": verdict.virus},
        )


def _refuse(name: str, reason: str) -> UploadRefused:
    return UploadRefused(
        _("「%(name)s」は受け付けられません: %(reason)s") % {"name": name, "reason": reason}
    )


def _detect(head: bytes, file: File, name: str) -> tuple[Kind, str]:
    if head.startswith(b"%PDF-"):
        _check_pdf(file, name)
        return PDF, PDF.content_type
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG, PNG.content_type
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG, JPEG.content_type
    if head.startswith(OLE2_MAGIC):
        data = _read_all(file)
        kind = _ole2_kind(data, name)
        _check_office(data, kind, name)
        return kind, kind.content_type
    if head.startswith(b"PK\x03\x04"):
        kind, types = _ooxml_kind(file, name)
        _check_office(_read_all(file), kind, name, types)
        return kind, kind.content_type
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        raise _refuse(name, _("実行ファイルは添付できません。"))
    if _MARKUP.match(head.removeprefix(codecs.BOM_UTF8)):
        raise _refuse(name, _("HTML などのウェブページ形式は添付できません。"))
    charset = _text_charset(file)
    if charset:
        kind = Kind("text", _("テキスト"), "text/plain", TEXT_EXTENSIONS, viewable=True)
        return kind, f"text/plain; charset={charset}"
    guess = filetype.guess(head)
    detected = f"({guess.extension.upper()})" if guess else ""
    raise _refuse(
        name,
        _(
            "対応していない形式です%(detected)s。PDF、Word、Excel、PowerPoint、テキスト、"
            "PNG、JPEG のいずれかを添付してください。"
        )
        % {"detected": detected},
    )


def _check_pdf(file: File, name: str) -> None:
    """Active content is refused like macros in Office files (docs/security.md)."""
    remedy = _("印刷機能で PDF に保存し直す(「Microsoft Print to PDF」など)と取り除けます。")
    try:
        found = active_content(file)
    except PdfUninspectable as exc:
        if exc.reason == "bomb":
            raise _refuse(name, _("展開すると極端に大きくなるファイルです。")) from None
        if exc.reason == "password":
            raise _refuse(
                name,
                _(
                    "パスワードを入力しないと開けない PDF は、中身を確認できないため"
                    "添付できません。パスワードを外してから添付してください"
                    "(資料を見られるのは送付先の方だけです)。"
                ),
            ) from None
        raise _refuse(name, _("内容を確認できない形式の PDF です。") + remedy) from None
    if "launch" in found:
        launch = _("ほかのプログラムを起動する命令を含む PDF は添付できません。")
        raise _refuse(name, launch + remedy)
    if "javascript" in found:
        raise _refuse(name, _("JavaScript を含む PDF は添付できません。") + remedy)
    if "embedded" in found:
        raise _refuse(name, _("ほかのファイルを埋め込んだ PDF は添付できません。") + remedy)
    if "xfa" in found:
        xfa = _("XFA フォーム(スクリプトを含められる入力フォーム)を含む PDF は添付できません。")
        raise _refuse(name, xfa + remedy)


def _read_all(file: File) -> bytes:
    file.seek(0)
    try:
        return file.read()
    finally:
        file.seek(0)


def _ole2_kind(data: bytes, name: str) -> Kind:
    """Which Office program wrote the compound file, from its streams (olefile)."""
    try:
        # A file object, never bytes: olefile takes short bytes for a path.
        with olefile.OleFileIO(io.BytesIO(data)) as compound:
            if compound.exists("EncryptionInfo") or compound.exists("EncryptedPackage"):
                password = _(
                    "パスワードで保護された Office ファイルは、中身を確認できないため"
                    "添付できません。パスワードを外してから添付してください"
                    "(資料を見られるのは送付先の方だけです)。"
                )
                raise _refuse(name, password)
            for kind, stream in _OLE2_STREAMS:
                if compound.exists(stream):
                    return kind
    except (OSError, ValueError):
        raise _refuse(name, _("壊れているか、読み取れない形式の Office ファイルです。")) from None
    raise _refuse(name, _("Word・Excel・PowerPoint 以外の形式です。"))


def _check_office(data: bytes, kind: Kind, name: str, types: bytes = b"") -> None:
    """Macros and external links are refused (circulation/uploads/office.py)."""
    try:
        found = officescan.findings(data, program=_PROGRAMS[kind.label], ooxml_types=types)
    except officescan.OfficeUnreadable:
        raise _refuse(name, _("壊れているか、読み取れない形式の Office ファイルです。")) from None
    if "macros" in found:
        raise _refuse(name, _("マクロを含むファイルは添付できません。"))
    if "external" in found:
        raise _refuse(
            name,
            _(
                "外部のファイルやプログラムを読み込むリンク(リモートテンプレート、"
                "リンクされたオブジェクト、DDE など)を含むファイルは添付できません。"
                "リンクを解除して保存し直してください。"
            ),
        )


def _ooxml_kind(file: File, name: str) -> tuple[Kind, bytes]:
    """The program, and [Content_Types].xml for the macro checks."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            _check_not_a_bomb(infos, name)
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names:
                raise _refuse(name, _("Office の文書ではない ZIP ファイルです。"))
            if any(posixpath.basename(n).lower() == "vbaproject.bin" for n in names):
                raise _refuse(name, _("マクロを含むファイルは添付できません。"))
            with archive.open("[Content_Types].xml") as types_file:
                types = types_file.read(1024 * 1024)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError):
        raise _refuse(name, _("壊れた ZIP 形式のファイルです。")) from None
    finally:
        file.seek(0)
    if b"macroEnabled" in types:
        raise _refuse(name, _("マクロを含むファイルは添付できません。"))
    for kind, part, main_type in _OOXML:
        if part in names and main_type in types:
            return kind, types
    raise _refuse(name, _("Word・Excel・PowerPoint の文書ではない ZIP ファイルです。"))


def _check_not_a_bomb(infos: list[zipfile.ZipInfo], name: str) -> None:
    bomb = _refuse(name, _("展開すると極端に大きくなるファイルです。"))
    if len(infos) > MAX_ZIP_ENTRIES:
        raise bomb
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise bomb
        big = info.file_size > 1024 * 1024
        if big and info.file_size > MAX_ENTRY_RATIO * max(info.compress_size, 1):
            raise bomb


def _text_charset(file: File) -> str | None:
    """utf-8 or shift_jis if the whole file decodes as that text without NULs or other
    control characters (Shift_JIS decodes almost any bytes, so binary data is caught by
    the controls it inevitably contains)."""
    for charset, codec in (("utf-8", "utf-8-sig"), ("shift_jis", "cp932")):
        decoder = codecs.getincrementaldecoder(codec)()
        file.seek(0)
        try:
            for chunk in iter(lambda: file.read(CHUNK), b""):
                if b"\x00" in chunk or _CONTROLS.search(decoder.decode(chunk)):
                    return None
            if _CONTROLS.search(decoder.decode(b"", final=True)):
                return None
        except UnicodeDecodeError:
            continue
        finally:
            file.seek(0)
        return charset
    return None


def _name_matching(name: str, kind: Kind) -> str:
    """The extension must agree with the content; a name without one gets the right one."""
    ext = extension_of(name)
    if not ext:
        return f"{name}{kind.extensions[0]}"
    if ext not in kind.extensions:
        raise _refuse(
            name,
            _("ファイル名は %(ext)s ですが、中身は %(label)s です。")
            % {"ext": ext, "label": kind.label},
        )
    return name


def _sha256(file: File) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(CHUNK), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def kind_label(content_type: str) -> str:
    """PDF / Word / … for the material list."""
    base = content_type.split(";")[0].strip()
    for kind in KINDS.values():
        if kind.content_type == base:
            return kind.label
    return _("テキスト") if base == "text/plain" else base


def is_viewable(content_type: str) -> bool:
    """PDF, images and text may be shown in the browser instead of downloaded."""
    base = content_type.split(";")[0].strip()
    return base in ("application/pdf", "image/png", "image/jpeg", "text/plain")
