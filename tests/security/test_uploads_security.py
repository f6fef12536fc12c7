"""Malicious and mistaken uploads, through the real draft form as the secretariat (佐藤):
each bad file is refused with a message naming it while everything else on the form — the
title, the recipients, the other files — is kept; dangerous names are stored cleaned; and
downloads never let a browser run or guess anything.

Decision (docs/security.md, "Uploads"): a PDF with JavaScript or a Launch action is
*refused*, like an Office file with macros, with the remedy in the message (print it to PDF
again)."""

from __future__ import annotations

import binascii
import io
import re
import zlib

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from circulation.models import Circulation, Material
from circulation.uploads import pdf as pdfscan
from circulation.uploads.checks import UploadRefused, check_upload
from tests.circulation import files, pdfs
from tests.circulation.conftest import clock  # noqa: F401  (the same frozen Japan time)
from tests.circulation.helpers import PDF_BYTES, sent_circulation
from tests.circulation.web import draft_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TITLE = "第12回 管理運用会議 議事録の確認"
GOOD = "議事録.pdf"


# --- PDFs, written byte by byte (tests/circulation/pdfs.py) ------------------------------------

OPEN_SCRIPT = b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>"
SCRIPT = b"<</S/JavaScript/JS(app.alert('x'))>>"


def with_script(script: bytes = SCRIPT, **hiding) -> bytes:
    """The catalog opens with action 4, kept inside a compressed object stream."""
    return pdfs.build({1: OPEN_SCRIPT, 2: pdfs.PAGES, 3: pdfs.PAGE}, hidden={4: script}, **hiding)


PDF_JS = pdfs.plain(catalog=b"<</Type/Catalog/Pages 2 0 R/OpenAction<<" + SCRIPT[2:-2] + b">>>>")
PDF_JS_ESCAPED = pdfs.plain(b"<</S/J#61vaScript/JS(app.alert(1))>>",
                            catalog=OPEN_SCRIPT)  # fmt: skip
PDF_JS_ON_PAGE_OPEN = pdfs.build({1: pdfs.CATALOG, 2: pdfs.PAGES,
                                  3: b"<</Type/Page/Parent 2 0 R/AA<</O 4 0 R>>>>"},
                                 hidden={4: SCRIPT})  # fmt: skip
PDF_JS_NAMED = pdfs.plain(
    b"<</Names[(init) 5 0 R]>>", SCRIPT,
    catalog=b"<</Type/Catalog/Pages 2 0 R/Names<</JavaScript 4 0 R>>>>",
)  # fmt: skip
# The two that went through the hand-written scanner (issue 16): an object stream whose
# dictionary holds the text "(obj)", and one encoded with a PNG predictor.
PDF_JS_OBJ_IN_DICT = with_script(stream_extra=b"/Producer(obj)")
PDF_JS_PREDICTOR = with_script(predictor=7)
PDF_JS_HEX_AND_FLATE = with_script(
    filters=b"[/ASCIIHexDecode/FlateDecode]",
    encode=lambda c: binascii.hexlify(zlib.compress(c)) + b">",
)
# Stored (level 0) deflate keeps "endstream" literally inside the compressed bytes.
PDF_JS_BEHIND_FAKE_END = with_script(b"<</S/JavaScript/JS(endstream endstream app.alert(1))>>",
                                     encode=lambda c: zlib.compress(c, 0))  # fmt: skip
PDF_LAUNCH = with_script(b"<</S/Launch/Win<</F(cmd.exe)/P(/c calc)>>>>")
PDF_EMBEDDED = pdfs.plain(
    b"<</Names[(a.exe) 5 0 R]>>",
    b"<</Type/Filespec/F(a.exe)/EF<</F 6 0 R>>>>",
    b"<</Type/EmbeddedFile/Length 2>>\nstream\nMZ\nendstream",
    catalog=b"<</Type/Catalog/Pages 2 0 R/Names<</EmbeddedFiles 4 0 R>>>>",
)
PDF_ATTACHMENT_NOTE = pdfs.build(
    {1: pdfs.CATALOG, 2: pdfs.PAGES, 3: b"<</Type/Page/Parent 2 0 R/Annots[4 0 R]>>"},
    hidden={4: b"<</Type/Annot/Subtype/FileAttachment/Rect[0 0 9 9]/FS(x.exe)>>"},
)
PDF_XFA = pdfs.plain(
    b"<</Length 7>>\nstream\n<xdp/>\nendstream",
    catalog=b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[]/XFA 4 0 R>>>>",
)
PDF_UNREADABLE = b"%PDF-1.7\n\x00\x01 not a PDF after all \x02"


def encrypted(data: bytes, *, user: str) -> bytes:
    """The same PDF encrypted (AES-256) with an owner password, and a user password if any."""
    buffer = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as document:
        document.save(buffer, encryption=pikepdf.Encryption(owner="事務局", user=user),
                      object_stream_mode=pikepdf.ObjectStreamMode.generate)  # fmt: skip
    return buffer.getvalue()


def zeros_deflated(size: int) -> bytes:
    packer = zlib.compressobj(9)
    block = bytes(1 << 20)
    return b"".join([*(packer.compress(block) for _ in range(size >> 20)), packer.flush()])


IMAGE = zeros_deflated(1 << 20)
PDF_WITH_IMAGE = pdfs.plain(
    b"<</Type/XObject/Subtype/Image/Width 1024/Height 1024/BitsPerComponent 8"
    b"/ColorSpace/DeviceGray/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream"
    % (len(IMAGE), IMAGE)
)
WORD_NAMES_ONLY = pdfs.build(
    {1: b"<</Type/Catalog/Pages 2 0 R/JSFont 4 0 R/Info<</Title(JavaScript guide /JS)>>>>",
     2: pdfs.PAGES, 3: b"<</Type/Page/Parent 2 0 R/Annots[5 0 R]>>"},
    hidden={4: b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
            5: b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/A<</S/URI/URI(https://www.e-gov.go.jp/)>>>>"},
)  # fmt: skip


# --- Posting the form ------------------------------------------------------------------------


def sitting(council) -> list[int]:
    return [council.chair.pk, council.acting_chair.pk, council.members[0].pk]


def post_draft(client, council, *bad: tuple[str, bytes]):
    """The draft form with one good PDF and the given files."""
    uploads = [(files.upload(GOOD, PDF_BYTES), "議事録")]
    uploads += [(files.upload(name, data, "application/pdf"), f"資料{i}")
                for i, (name, data) in enumerate(bad)]  # fmt: skip
    client.force_login(council.secretariat)
    return client.post(
        reverse("circulation_create", args=[council.committee.pk]),
        draft_data(title=TITLE, recipients=sitting(council), files=uploads, rows=len(uploads)),
    )


def assert_refused_and_kept(response, council, name: str, reason: str) -> None:
    body = response.content.decode()
    assert response.status_code == 200
    assert f"「{name}」" in body, "the message names the file"
    assert reason in body
    # Everything else is kept for the next try.
    assert f'value="{TITLE}"' in body
    assert re.search(rf'value="{council.chair.pk}"[^>]*checked', body)
    assert f"受け付け済みのファイル: {GOOD}" in body
    assert len(re.findall(r'name="new-\d+-stash" value="[^"]+"', body)) == 1
    assert Circulation.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("請求書.pdf", files.HTML, "HTML"),
        ("請求書.pdf", b"\xef\xbb\xbf  <svg onload=alert(1)>", "HTML"),
        ("議事録2.pdf", files.EXE, "実行ファイル"),
        ("報告.docx", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "実行ファイル"),
        ("報告.docx", files.zip_bomb_docx(), "極端に大きく"),
        ("集計.xlsx", files.ooxml("xlsx", extra={"xl/media/pad.bin": b"\x00" * (20 << 20)}),
         "極端に大きく"),
        ("台本.pdf", PDF_JS, "JavaScript を含む PDF"),
        ("台本.pdf", PDF_JS_ESCAPED, "JavaScript を含む PDF"),
        ("台本.pdf", PDF_JS_ON_PAGE_OPEN, "JavaScript を含む PDF"),
        ("台本.pdf", PDF_JS_NAMED, "JavaScript を含む PDF"),
        ("台本.pdf", PDF_JS_OBJ_IN_DICT, "JavaScript を含む PDF"),
        ("台本.pdf", PDF_JS_PREDICTOR, "JavaScript を含む PDF"),
        ("台本.pdf", PDF_JS_HEX_AND_FLATE, "JavaScript を含む PDF"),
        ("台本.pdf", PDF_JS_BEHIND_FAKE_END, "JavaScript を含む PDF"),
        ("台本.pdf", encrypted(PDF_JS_PREDICTOR, user=""), "JavaScript を含む PDF"),
        ("起動.pdf", PDF_LAUNCH, "ほかのプログラムを起動する命令"),
        ("同封.pdf", PDF_EMBEDDED, "ほかのファイルを埋め込んだ PDF"),
        ("同封.pdf", PDF_ATTACHMENT_NOTE, "ほかのファイルを埋め込んだ PDF"),
        ("申請書.pdf", PDF_XFA, "XFA フォーム"),
        ("壊れた.pdf", PDF_UNREADABLE, "内容を確認できない"),
        ("秘密.pdf", encrypted(PDF_BYTES, user="open-sesame"), "パスワードを入力しないと開けない"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_by_name_and_the_rest_of_the_form_is_kept(
    client, council, name, data, reason
):
    response = post_draft(client, council, (name, data))
    assert_refused_and_kept(response, council, name, reason)


def test_the_remedy_for_a_pdf_with_a_script_is_in_the_message(client, council):
    body = post_draft(client, council, ("台本.pdf", PDF_JS)).content.decode()
    assert "印刷機能で PDF に保存し直す" in body


@pytest.mark.parametrize(
    "hiding",
    [{"stream_extra": b"/Producer(obj)"}, {"predictor": 7},
     {"filters": b"[/ASCIIHexDecode/FlateDecode]",
      "encode": lambda c: binascii.hexlify(zlib.compress(c)) + b">"},
     {"encode": lambda c: zlib.compress(c, 0)}],
)  # fmt: skip
def test_the_same_hiding_places_holding_a_plain_link_are_accepted(client, council, hiding):
    """The refusals above are for the script, not for an unreadable file: the same object
    streams holding an ordinary web link pass."""
    link = with_script(b"<</S/URI/URI(https://www.e-gov.go.jp/)>>", **hiding)
    response = post_draft(client, council, ("リンク.pdf", link))
    assert response.status_code == 302, response.content.decode()[:3000]


def test_a_pdf_bomb_in_its_object_streams_is_refused(client, council, monkeypatch):
    """An object stream that inflates to 512 MB: the parser's process is given 300 MB."""
    monkeypatch.setattr(pdfscan, "MEMORY_LIMIT_BYTES", 300 << 20)
    bomb = with_script(b"<</A 1>>", encode=lambda _c: zeros_deflated(512 << 20))
    response = post_draft(client, council, ("爆弾.pdf", bomb))
    assert_refused_and_kept(response, council, "爆弾.pdf", "極端に大きく")


def test_a_pdf_that_takes_the_parser_too_long_is_refused_the_same_way(monkeypatch):
    monkeypatch.setattr(pdfscan, "TIME_LIMIT_SECONDS", 0.001)
    with pytest.raises(UploadRefused, match=r"「重い\.pdf」.*極端に大きく"):
        check_upload(files.upload("重い.pdf", PDF_BYTES))


def test_ordinary_pdfs_are_not_mistaken_for_scripts_or_bombs(client, council, monkeypatch):
    """A large scanned image is not decoded at all (the parser gets 300 MB); names that
    merely contain "JS", a title that mentions JavaScript and a web link are not scripts;
    a PDF with only an owner password (printing or copying restricted) is read and kept."""
    monkeypatch.setattr(pdfscan, "MEMORY_LIMIT_BYTES", 300 << 20)
    response = post_draft(client, council, ("スキャン.pdf", PDF_WITH_IMAGE),
                          ("手引き.pdf", WORD_NAMES_ONLY),
                          ("他機関.pdf", encrypted(WORD_NAMES_ONLY, user="")))  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    names = sorted(Material.objects.values_list("original_name", flat=True))
    assert names == sorted([GOOD, "スキャン.pdf", "手引き.pdf", "他機関.pdf"])


def test_a_file_over_the_size_cap_is_refused_by_name(client, council, settings):
    settings.KAIRAN_MAX_UPLOAD_BYTES = 1024
    response = post_draft(client, council, ("大きな資料.pdf", PDF_BYTES + b"0" * 2000))
    assert_refused_and_kept(response, council, "大きな資料.pdf", "大きすぎます")


def test_more_files_than_the_cap_are_refused_and_the_form_kept(client, council, settings):
    settings.KAIRAN_MAX_MATERIALS = 2
    response = post_draft(client, council, ("資料2.pdf", PDF_BYTES), ("資料3.pdf", PDF_BYTES))
    body = response.content.decode()
    assert response.status_code == 200
    assert "資料は1件の書面照会につき2件までです" in body
    assert "次のファイルは添付されていません: 「資料3.pdf」" in body
    assert f'value="{TITLE}"' in body
    assert Circulation.objects.count() == 0


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("/var/www/kairan/settings.pdf", "settings.pdf"),
        ("報告書\u202egpj.pdf", "報告書gpj.pdf"),  # shown as 報告書fdp.jpg with the override
        ("報告\u200f\u2066.pdf", "報告.pdf"),
    ],
)
def test_dangerous_names_are_stored_cleaned_under_a_server_generated_path(
    client, council, sent, stored
):
    response = post_draft(client, council, (sent, PDF_BYTES))
    assert response.status_code == 302, response.content.decode()[:2000]
    material = Material.objects.exclude(original_name=GOOD).get()
    assert material.original_name == stored
    assert ".." not in material.file.name and "\u202e" not in material.file.name
    assert material.file.name.startswith(f"materials/{council.committee.pk}/")


def test_a_right_to_left_override_cannot_disguise_an_executable_name(client, council):
    """「請求書\u202eFDP.exe」 looks like 「請求書exe.PDF」: cleaned, it ends in .exe, which
    does not match its content, so it is refused under its true name."""
    response = post_draft(client, council, ("請求書\u202eFDP.exe", PDF_BYTES))
    assert_refused_and_kept(response, council, "請求書FDP.exe", "ファイル名は .exe")


def test_a_correction_with_a_script_in_the_pdf_is_refused_too(client, council):
    circulation = sent_circulation(council)
    material = circulation.materials.get()
    client.force_login(council.secretariat)
    response = client.post(
        reverse("material_correct", args=[circulation.pk, material.pk]),
        {"file": files.upload("訂正版.pdf", PDF_JS), "title": "議事録(訂正)",
         "change_note": "第3項を修正"},
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert "「訂正版.pdf」" in body and "JavaScript を含む PDF" in body
    assert "第3項を修正" in body  # what was typed stays
    assert circulation.materials.count() == 1


# --- Downloads ---------------------------------------------------------------------------------


def stored_material(circulation, name: str, content_type: str, data: bytes) -> Material:
    """A row as an older version or a database edit might have left it."""
    material = Material(circulation=circulation, title="資料", original_name=name,
                        content_type=content_type, size=len(data), sha256="0" * 64,
                        uploaded_by=circulation.created_by, order=9)  # fmt: skip
    material.file.save("x", ContentFile(data), save=False)
    material.save()
    return material


def test_downloads_name_the_file_in_rfc_5987_and_forbid_sniffing(client, council):
    circulation = sent_circulation(council)
    material = circulation.materials.get()
    client.force_login(council.members[0])
    response = client.get(reverse("material_download", args=[circulation.pk, material.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"material.pdf\"; filename*=UTF-8''%E8%AD%B0%E4%BA%8B%E9%8C%B2.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", "application/xhtml+xml"])
def test_html_or_svg_is_never_shown_inline_even_if_a_row_says_so(client, council, content_type):
    circulation = sent_circulation(council)
    material = stored_material(circulation, "page.html", content_type, b"<script>alert(1)</script>")
    client.force_login(council.members[0])
    response = client.get(reverse("material_view", args=[circulation.pk, material.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_text_shown_inline_runs_nothing(client, council):
    circulation = sent_circulation(council)
    material = stored_material(circulation, "メモ.txt", "text/plain; charset=utf-8",
                               b"<script>alert(1)</script>")  # fmt: skip
    client.force_login(council.members[0])
    response = client.get(reverse("material_view", args=[circulation.pk, material.pk]))
    assert response["Content-Disposition"].startswith("inline;")
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy or "'none'" in policy


def test_a_name_cannot_inject_a_header(client, council):
    circulation = sent_circulation(council)
    material = stored_material(circulation, 'a"\r\nX-Injected: 1;.pdf', "application/pdf",
                               PDF_BYTES)  # fmt: skip
    client.force_login(council.members[0])
    response = client.get(reverse("material_download", args=[circulation.pk, material.pk]))
    assert "X-Injected" not in response.headers
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.count('"') == 2
