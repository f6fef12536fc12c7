"""Macros and external links in Office files, read with oletools (olevba, msodde, ooxml).

Kairan refuses Word, Excel and PowerPoint files that carry VBA macros, Excel 4 (XLM) macros
or links that make the program fetch or run something outside the file (docs/security.md,
"Uploads"): a council's materials are documents to read. Legacy compound files
(.doc/.xls/.ppt, OLE2) and OOXML (.docx/.xlsx/.pptx) are read the same way:

- VBA: olevba finds a VBA project in the compound file, in any OLE part of a zip (whatever
  the part is called) and inside a PowerPoint 97 file, and compressed VBA source anywhere.
- XLM: an .xls workbook's sheet list, read by oledump's BIFF plugin (which olevba uses);
  in OOXML a macro sheet is a part of its own content type (olevba reads those only with an
  optional deobfuscator, so the content types are checked here).
- External links: in OOXML every relationship that points outside the file (a remote
  template, a linked object or picture, another workbook), except an ordinary hyperlink that
  the reader clicks; DDE fields in Word (both formats) and DDE links and external workbook
  references in Excel (both formats), found by msodde.
"""

from __future__ import annotations

import io

import olefile
from oletools import msodde, olevba, ooxml
from oletools.oleobj import OOXML_RELATIONSHIP_TAG
from oletools.thirdparty.oledump.plugin_biff import cBIFF

_MACRO_SHEET = b"macrosheet+xml"


class OfficeUnreadable(Exception):
    """oletools cannot read the file (the check fails closed: such a file is refused)."""


def findings(data: bytes, *, program: str, ooxml_types: bytes = b"") -> set[str]:
    """A subset of {"macros", "external"}. `program` is "word", "excel" or "powerpoint";
    `ooxml_types` the [Content_Types].xml of an OOXML file (empty for OLE2)."""
    try:
        return _findings(data, program=program, ooxml_types=ooxml_types)
    except Exception as exc:  # what the readers cannot read is not passed
        raise OfficeUnreadable from exc


def _findings(data: bytes, *, program: str, ooxml_types: bytes) -> set[str]:
    parser = olevba.VBA_Parser("upload", data=data, relaxed=True)
    found: set[str] = set()
    try:
        if parser.detect_vba_macros() or parser.detect_xlm_macros():
            found.add("macros")
    finally:
        parser.close()
    if _MACRO_SHEET in ooxml_types or (program == "excel" and not ooxml_types and _xlm(data)):
        found.add("macros")
    if _external_links(data, program=program, is_ooxml=bool(ooxml_types)):
        found.add("external")
    return found


def _xlm(data: bytes) -> bool:
    """An Excel 4.0 macro sheet in the workbook's sheet list. olevba asks this only of files
    whose root carries Excel's class id, which a crafted file can leave out; Excel opens
    the file all the same, so the sheet list is read here for every .xls."""
    with olefile.OleFileIO(io.BytesIO(data)) as compound:
        for stream in ("Workbook", "Book"):
            if compound.exists(stream):
                biff = cBIFF(name=[stream], stream=compound.openstream(stream).read(),
                             options="-o BOUNDSHEET")  # fmt: skip
                if any("Excel 4.0 macro sheet" in line for line in biff.Analyze()):
                    return True
    return False


def _external_links(data: bytes, *, program: str, is_ooxml: bool) -> bool:
    if is_ooxml:
        relations = ooxml.XmlParser(io.BytesIO(data))
        for _subfile, elem, _depth in relations.iter_xml(None, False, OOXML_RELATIONSHIP_TAG):
            kind = elem.get("Type", "").rsplit("/", 1)[-1]
            if elem.get("TargetMode") == "External" and kind != "hyperlink":
                return True
        if program == "word":
            return bool(msodde.process_docx(io.BytesIO(data), msodde.FIELD_FILTER_DDE))
        if program == "excel":
            return bool(msodde.process_xlsx(io.BytesIO(data)))
        return False
    if program == "excel":
        return bool(msodde.process_xls(io.BytesIO(data)))
    if program == "word":
        with olefile.OleFileIO(io.BytesIO(data)) as compound:
            return bool(msodde.process_doc_stream(compound.openstream("WordDocument")))
    return False
