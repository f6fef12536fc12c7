"""The English catalogue is complete, and the English screens read in English.

gettext ignores untranslated and fuzzy entries, so either would put Japanese on an English
screen without anyone noticing: the catalogue itself is checked here, then two real pages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.circulation.helpers import sent_circulation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _unquote(line: str) -> str:
    text = line[line.index('"') + 1 : line.rindex('"')]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def read_catalogue(path: Path = CATALOGUE) -> list[dict]:
    """Entries as dicts: flags, msgid, msgstr (or msgstr[n] for plurals), obsolete."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry: dict = {"flags": set(), "strings": {}, "obsolete": False}
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] = {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry["strings"][key] += _unquote(line)
            else:
                key = line.split(" ", 1)[0]
                entry["strings"][key] = _unquote(line)
        entries.append(entry)
    return [e for e in entries if not e["obsolete"] and e["strings"].get("msgid") != ""]


def test_the_catalogue_parser_sees_every_entry():
    entries = read_catalogue()
    assert len(entries) > 500
    assert any(e["strings"]["msgid"] == "回答を送信" for e in entries)
    assert any("msgid_plural" in e["strings"] for e in entries)


def test_the_english_catalogue_has_no_untranslated_entry():
    untranslated = [
        e["strings"]["msgid"]
        for e in read_catalogue()
        if any(v == "" for k, v in e["strings"].items() if k.startswith("msgstr"))
    ]
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:10]}"


def test_the_english_catalogue_has_no_fuzzy_entry():
    fuzzy = [e["strings"]["msgid"] for e in read_catalogue() if "fuzzy" in e["flags"]]
    assert fuzzy == [], f"{len(fuzzy)} fuzzy (gettext ignores them): {fuzzy[:10]}"


def test_no_english_translation_is_left_in_japanese():
    left = [
        e["strings"]["msgid"]
        for e in read_catalogue()
        if any(JAPANESE.search(v) for k, v in e["strings"].items() if k.startswith("msgstr"))
    ]
    assert left == []


@pytest.mark.parametrize(
    ("japanese", "english"),
    [
        ("送付する", "Send"),
        ("意見なし", "No opinion"),
        ("意見あり", "I have an opinion"),
        ("審議が必要", "A meeting is needed"),
        ("審議は不要", "No meeting needed"),
        ("回答を送信", "Submit reply"),
        ("質問する", "Ask a question"),
        ("開催する", "Convene"),
        ("開催しない", "Do not convene"),
        ("期限を延長", "Extend deadline"),
        ("ログイン", "Log in"),
        ("ログアウト", "Log out"),
        ("件名", "Title"),
        ("説明", "Explanation"),
        ("資料ファイル", "Material file"),
        ("資料名", "Material title"),
        ("回答期限", "Reply deadline"),
        ("送付先", "Recipients"),
        ("意見", "Opinion"),
        ("質問", "Question"),
        ("理由", "Reason"),
        ("メールアドレス", "Email"),
        ("下書き", "Draft"),
        ("回答受付中", "Open"),
        ("締切", "Closed"),
        ("決定済み", "Decided"),
        ("完了", "Archived"),
        ("未回答", "Not replied"),
        ("回答済み", "Replied"),
    ],
)
def test_glossary_labels_are_translated_as_the_glossary_says(japanese, english):
    by_msgid = {e["strings"]["msgid"]: e["strings"].get("msgstr") for e in read_catalogue()}
    assert by_msgid[japanese] == english


# --- rendered pages -------------------------------------------------------------------------


def visible_chrome(body: str) -> str:
    """The page's visible text minus the language switch, which names each language in
    that language on purpose (日本語 / English)."""
    body = re.sub(r'<form class="language-switch".*?</form>', "", body, flags=re.S)
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.django_db
def test_the_login_page_in_english_has_no_japanese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("account_login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in body
    leftovers = JAPANESE.findall(visible_chrome(body))
    assert leftovers == [], "".join(leftovers)
    assert "Send me a login code by mail" in body


@pytest.mark.django_db
def test_the_member_circulation_page_in_english_uses_the_glossary_labels(client, council):
    circulation = sent_circulation(council)
    client.force_login(council.members[0])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("circulation_detail", args=[circulation.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in body
    for label in ("Submit reply", "No opinion", "I have an opinion", "Reply deadline"):
        assert label in body, label
    for label in ("A meeting is needed", "No meeting needed", "Ask a question", "Materials"):
        assert label in body, label
    # The committee's name, the title and the materials are the secretariat's own Japanese.
    for japanese_label in ("回答を送信", "意見なし", "意見あり", "回答期限", "質問する"):
        assert japanese_label not in body, japanese_label
