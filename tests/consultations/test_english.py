"""Consultations in English: the glossary's words and labels, exactly, in the catalogue and
on the member's page (the council's own texts stay as the secretariat wrote them)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.consultations import helpers as h
from tests.i18n.test_catalogue import JAPANESE, read_catalogue, visible_chrome

GLOSSARY = [
    ("諮問", "Consultation"),
    ("答申", "Report"),
    ("付言", "Rider"),
    ("書面による議事", "Written deliberation"),
    ("賛否", "Vote"),
    ("結果", "Result"),
    ("定足数", "Quorum"),
    ("承認", "Approve"),
    ("不承認", "Disapprove"),
    ("保留", "Abstain"),
    ("継続審議", "Carry over"),
    ("答申する", "Issue the report"),
    ("対応状況を登録", "Record the response"),
    ("実施機関", "Implementing body"),
]


@pytest.mark.parametrize(("japanese", "english"), GLOSSARY)
def test_the_glossarys_consultation_words_are_translated_as_it_says(japanese, english):
    by_msgid = {e["strings"]["msgid"]: e["strings"].get("msgstr") for e in read_catalogue()}
    assert by_msgid[japanese] == english


@pytest.mark.django_db
def test_the_members_consultation_page_reads_in_english(client, council, body):
    circulation = h.sent(council, staff=[body], title="Cloud services for the family register")
    client.force_login(council.members[0])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("consultation_detail", args=[circulation.pk]))
    body_html = response.content.decode()
    assert '<html lang="en">' in body_html
    for label in ("Approve", "Disapprove", "Abstain", "Submit reply", "Ask a question",
                  "Rules of written deliberation", "Quorum", "Consultation No. 65"):  # fmt: skip
        assert label in body_html, label
    # Everything Japanese left is what the secretariat typed (council, items, reason, names).
    typed = [council.committee.name, *h.ITEMS, "市民生活部 中央地域センター", "諮問書",
             circulation.consultation.reason, council.members[0].full_name]  # fmt: skip
    chrome = visible_chrome(body_html)
    for text in typed:
        chrome = chrome.replace(text, "")
    assert JAPANESE.findall(chrome) == [], "".join(JAPANESE.findall(chrome))


@pytest.mark.django_db
def test_the_report_reads_in_english_with_english_dates(client, council, body):
    import datetime as dt

    from circulation.models import Consultation
    from circulation.services.consultation_results import record_meeting_result
    from circulation.services.reports import issue_report

    circulation = h.register(council, staff=[body], items=["保育業務支援システムの利用"])
    item = h.items_of(circulation)[0]
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"}, riders=[],
        reasons="保育の質の向上に資するため。",
    )  # fmt: skip
    issue_report(
        circulation.pk, by=council.secretariat, report_date=dt.date(2026, 10, 1),
        version=Consultation.objects.get(pk=circulation.pk).report_version,
    )  # fmt: skip
    client.force_login(body)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("consultation_report", args=[circulation.pk])).content.decode()
    assert "1 October 2026" in page and "Report on" in page and "Approve" in page
    assert "2026年10月1日" not in page
