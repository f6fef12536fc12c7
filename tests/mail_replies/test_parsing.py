"""Reading what the member wrote, client by client and charset by charset (units under the
MIME fixtures' end-to-end tests)."""

from __future__ import annotations

import pytest

from circulation.inbound.charsets import decode_bytes, decode_header_value
from circulation.inbound.parsing import normalise_address, sanitise_filename
from circulation.inbound.reading import interpret
from circulation.inbound.text import html_to_text, strip_quotes


def test_iso_2022_jp_with_nec_special_characters_is_read():
    # ① is row 13 (NEC special characters): not in strict ISO-2022-JP, written by Outlook.
    data = b"\x1b$B-!\x1b(B \x1b$B$J$7\x1b(B"
    assert decode_bytes(data, "iso-2022-jp") == "① なし"


def test_shift_jis_is_read_as_cp932_and_a_wrong_label_is_survived():
    text = "意見なし～①"
    assert decode_bytes(text.encode("cp932"), "shift_jis") == text
    assert decode_bytes(text.encode("cp932"), "us-ascii") == text  # mislabelled
    assert decode_bytes("審議が必要".encode("euc_jp"), "euc-jp") == "審議が必要"
    assert decode_bytes("なし".encode("iso2022_jp"), None) == "なし"  # unlabelled JIS


def test_headers_split_inside_a_multibyte_character_are_joined():
    encoded = "=?UTF-8?B?5oSP6KaL?= =?UTF-8?B?44Gq44GX?="
    assert decode_header_value(encoded) == "意見なし"
    raw_jis = "Re: \x1b$B=qLL>H2q\x1b(B"
    assert decode_header_value(raw_jis) == "Re: 書面照会"
    # Raw 8-bit Shift_JIS in a header (old clients), kept by the parser as surrogates.
    raw_sjis = "Re: 書面照会".encode("cp932").decode("ascii", "surrogateescape")
    assert decode_header_value(raw_sjis) == "Re: 書面照会"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("なし\n\n-----元のメッセージ-----\n差出人: Kairan\n意見なし", "なし"),
        ("意見です\n\nOn Sep 1, 2026, at 9:00, Kairan <reply@x.jp> wrote:\n\n> 本文",
         "意見です"),
        ("第1項\n> 引用\n第1項への意見\n> 引用2\n", "第1項\n\n第1項への意見"),
        ("意見です\n\nSent from my iPhone\n\n> 本文", "意見です"),
        ("意見です\n________________________________\nFrom: Kairan <kairan@localhost>\n"
         "Sent: Tuesday, September 1, 2026 9:00\nTo: 田中\n", "意見です"),
        ("意見です\n\n2026/09/01 9:00 に Kairan さんは書きました:\n> x", "意見です"),
        ("9月10日までに:\n・第3項を修正", "9月10日までに:\n・第3項を修正"),  # not a header
    ],
)  # fmt: skip
def test_quoted_mail_and_signatures_are_removed(text, expected):
    assert strip_quotes(text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "opinion", "meeting"),
    [
        ("　意見なし　", "no_opinion", "", None),
        ("なし。", "no_opinion", "", None),
        ("特になし", "no_opinion", "", None),
        ("No opinion.", "no_opinion", "", None),
        ("事務局 御中\nお世話になっております。\n意見はありません。", "no_opinion", "", None),
        ("意見なし\n【審議は不要】", "no_opinion", "", False),
        ("第3項は削除すべきです。\n審議が必要です。", "opinion", "第3項は削除すべきです。", True),
        ("審議が必要\n審議は不要\n迷っています", "opinion", "審議が必要\n審議は不要\n迷っています",
         None),
        ("意見あり\n資料の誤記", "opinion", "資料の誤記", None),
        ("なし崩しにすべきではない", "opinion", "なし崩しにすべきではない", None),
        ("", "", "", None),
    ],
)  # fmt: skip
def test_the_reply_is_read_from_the_first_line_and_meeting_lines(text, kind, opinion, meeting):
    reading = interpret(text)
    assert (reading.kind, reading.opinion, reading.meeting_needed) == (kind, opinion, meeting)


def test_html_becomes_plain_text_and_no_markup_survives():
    html = (
        "<p>意見<script>alert(1)</script>です&amp;</p><img src=x onerror=alert(2)>"
        "<blockquote>引用</blockquote><style>p{}</style>"
    )
    assert html_to_text(html) == "意見です&\n> 引用"


def test_addresses_compare_without_case_and_subaddress():
    assert normalise_address("Tanaka+Kairan@Example.JP") == "tanaka@example.jp"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\tanaka\\意見書.docx", "意見書.docx"),
        ("\u202egpj.exe", "_gpj.exe"),
        (".htaccess", "htaccess"),
        ("", "attachment-1.pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_attachment_names_are_made_safe(name, safe):
    assert sanitise_filename(name, "application/pdf") == safe
