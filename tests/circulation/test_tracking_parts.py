"""The tracking page keeps its materials list and its rows rendered in the cache
(circulation/reads/page_parts.py): a page from the kept parts is the page rendered afresh; every
change — a correction, a question, an answer, a reply, an opening, a renamed person, the
close — shows at once; and the answer form carries the CSRF token of the session that asked
for the page, while the Q&A around it is kept rendered (and printed: no form around it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import _does_token_match
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circulation.models import Circulation, Recipient
from circulation.services.closing import close_circulation
from circulation.services.materials import record_material_opening
from circulation.services.questions import answer_question, ask_question
from circulation.services.replies import submit_reply
from tests.circulation import files
from tests.circulation.helpers import PDF_BYTES, sent_circulation

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _url(circulation: Circulation) -> str:
    return reverse("circulation_tracking", args=[circulation.pk])


def _raw(client, circulation: Circulation, query: str = "") -> str:
    response = client.get(_url(circulation) + query)
    assert response.status_code == 200
    return response.content.decode()


def _page(client, circulation: Circulation, query: str = "") -> str:
    return _TOKEN.sub("", _raw(client, circulation, query))


def _qa(page: str) -> str:
    return page.split('id="qa-heading"')[1].split("</section>")[0]


def _with_questions(council) -> Circulation:
    circulation = sent_circulation(council)
    question = ask_question(circulation.pk, by=council.members[1], text="<b>第3項</b>は?")
    answer_question(question.pk, by=council.secretariat, text="修正後の\n案です。")
    ask_question(circulation.pk, by=council.members[0], text="未回答の質問")
    return circulation


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("query", ["", "?show=replied", "?show=not_opened"])
def test_a_page_from_the_kept_parts_is_the_page_rendered_afresh(client, council, language, query):
    circulation = _with_questions(council)
    client.force_login(council.secretariat)
    client.cookies["django_language"] = language

    fresh = _page(client, circulation, query)
    kept = _page(client, circulation, query)

    assert kept == fresh
    cache.clear()
    assert _page(client, circulation, query) == fresh


def test_a_kept_page_reads_no_reply_versions(client, council):
    circulation = _with_questions(council)
    client.force_login(council.secretariat)

    def statements() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            _raw(client, circulation)
        return [query["sql"] for query in captured.captured_queries]

    first, again = statements(), statements()

    def reads(sqls: list[str], table: str) -> bool:
        return any(f'FROM "{table}"' in sql for sql in sqls)

    assert reads(first, "circulation_reply")
    assert not reads(again, "circulation_reply")
    # The materials section and how many materials are in force are kept together, and beat's
    # heartbeat (silent here) is read once until beat ticks.
    assert reads(first, "circulation_material")
    assert not reads(again, "circulation_material")
    assert reads(first, "circulation_heartbeat")
    assert not reads(again, "circulation_heartbeat")
    assert len(again) == len(first) - 3


def test_the_answer_form_carries_the_token_of_the_session_that_asked(council):
    circulation = _with_questions(council)
    pages = []
    for _ in range(2):  # two sessions of the secretariat: the second page is from kept parts
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(council.secretariat)
        html = _raw(browser, circulation)
        pages.append((browser, html))

    for browser, html in pages:
        secret = browser.cookies["csrftoken"].value
        tokens = _TOKEN.findall(_qa(html))
        assert len(tokens) == 1  # the one form of the answer fields (one question is open)
        assert all(_does_token_match(token, secret) for token in tokens)
    (_, first_html), (second, _) = pages
    assert not _does_token_match(
        _TOKEN.findall(_qa(first_html))[0], second.cookies["csrftoken"].value
    )


def test_the_secretariat_answers_from_a_kept_form_with_its_own_token(council):
    circulation = _with_questions(council)
    question = circulation.questions.get(text="未回答の質問")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(council.secretariat)
    _raw(browser, circulation)  # keeps the Q&A
    token = _TOKEN.findall(_qa(_raw(browser, circulation)))[0]

    response = browser.post(
        reverse("question_answer", args=[circulation.pk, question.pk]),
        {
            "csrfmiddlewaretoken": token,
            f"answer-{question.pk}-text": "来週お答えします。",
            "return_to": "tracking",
        },
    )

    assert response.status_code == 302 and response["Location"] == _url(circulation)
    qa = _qa(_page(browser, circulation))
    assert "来週お答えします。" in qa and "<form" not in qa


def test_questions_answers_and_corrections_show_at_once(client, council):
    circulation = sent_circulation(council)
    client.force_login(council.secretariat)
    assert "質問はまだありません。" in _page(client, circulation)

    question = ask_question(circulation.pk, by=council.members[0], text="第3項の修正理由は?")
    page = _page(client, circulation)
    assert f"質問({council.members[0].full_name}, " in page
    assert f'formaction="/c/{circulation.pk}/questions/{question.pk}/answer/"' in page

    answer_question(question.pk, by=council.secretariat, text="誤記の訂正です。")
    qa = _qa(_page(client, circulation))
    assert "誤記の訂正です。" in qa and f"回答({council.secretariat.full_name}, " in qa
    assert "<form" not in qa

    old = circulation.materials.get()
    client.post(
        reverse("material_correct", args=[circulation.pk, old.pk]),
        {"file": files.upload("議事録(修正版).pdf", PDF_BYTES + b"%fix"),
         "title": "議事録(修正版)", "change_note": "出席者数を訂正しました。"},
    )  # fmt: skip
    page = _page(client, circulation)
    assert "議事録(修正版)" in page and "第2版" in page and "出席者数を訂正しました。" in page


def test_renamed_people_show_at_once_in_the_qa_and_the_rows(client, council):
    circulation = _with_questions(council)
    client.force_login(council.secretariat)
    _page(client, circulation)
    _page(client, circulation)  # from the kept parts

    asker, secretariat = council.members[1], council.secretariat
    asker.full_name = "高橋 花子(改姓)"
    asker.save()  # no new content version, no new reply
    secretariat.full_name = "佐藤 次郎(改名)"
    secretariat.save()

    page = _page(client, circulation)
    assert "質問(高橋 花子(改姓), " in page and "回答(佐藤 次郎(改名), " in page
    assert "高橋 花子(改姓)" in _row(page, _recipient(circulation, asker))


def _recipient(circulation: Circulation, user) -> Recipient:
    return Recipient.objects.get(circulation=circulation, user=user)


def _row(page: str, recipient: Recipient) -> str:
    return page.split(f'id="recipient-{recipient.pk}"')[1].split("</tr>")[0]


def test_replies_and_openings_show_at_once_in_the_kept_rows(client, council):
    circulation = sent_circulation(council)
    tanaka = _recipient(circulation, council.members[0])
    client.force_login(council.secretariat)
    row = _row(_page(client, circulation), tanaka)
    assert "未回答" in row and "未開封" in row
    assert _row(_page(client, circulation), tanaka) == row  # kept

    submit_reply(recipient=tanaka, kind="opinion", opinion="最初の意見", submitted_by=tanaka.user)
    row = _row(_page(client, circulation), tanaka)
    assert "最初の意見" in row and "以前の回答" not in row

    submit_reply(recipient=tanaka, kind="no_opinion", meeting_needed=True, submitted_by=tanaka.user)
    row = _row(_page(client, circulation), tanaka)
    assert "<strong>審議が必要</strong>" in row and "以前の回答 1件" in row

    record_material_opening(circulation.materials.get(), user=tanaka.user, inline=False)
    row = _row(_page(client, circulation), tanaka)
    assert "開いた" in row and "1 / 1 件" in row


def test_closing_takes_the_correction_links_away(client, council):
    circulation = sent_circulation(council)
    client.force_login(council.secretariat)
    assert "資料を訂正する" in _page(client, circulation)

    close_circulation(circulation.pk, now=circulation.deadline + dt.timedelta(minutes=1))

    assert "資料を訂正する" not in _page(client, circulation)


def test_a_corrected_material_counts_as_opened_only_once_its_new_version_is(client, council):
    """ "n / m 件": of the materials in force, how many the person opened. Opening the old
    version does not count for the corrected one (it is not what members are asked about)."""
    circulation = sent_circulation(council)
    tanaka = _recipient(circulation, council.members[0])
    old = circulation.materials.get()
    record_material_opening(old, user=tanaka.user, inline=False)
    client.force_login(council.secretariat)
    assert "1 / 1 件" in _row(_page(client, circulation), tanaka)

    client.post(
        reverse("material_correct", args=[circulation.pk, old.pk]),
        {"file": files.upload("議事録(修正版).pdf", PDF_BYTES + b"%fix"),
         "title": "議事録(修正版)", "change_note": "出席者数を訂正しました。"},
    )  # fmt: skip
    row = _row(_page(client, circulation), tanaka)
    assert "0 / 1 件" in row  # not "1 / 2": the old version is not in force

    record_material_opening(
        circulation.materials.get(is_current=True), user=tanaka.user, inline=False
    )
    assert "1 / 1 件" in _row(_page(client, circulation), tanaka)


def test_the_qa_is_rendered_once_and_kept_outside_the_answer_form(client, council):
    circulation = _with_questions(council)
    client.force_login(council.secretariat)
    listed = "circulation/secretariat/_answer_list.html"
    first = client.get(_url(circulation))
    assert listed in [t.name for t in first.templates]
    again = client.get(_url(circulation))
    assert listed not in [t.name for t in again.templates]  # from the cache
    assert _TOKEN.sub("", again.content.decode()) == _TOKEN.sub("", first.content.decode())

    # The questions are not inside a form (a printed page hides forms); the open one's field
    # and button belong to the page's one answer form by its id.
    qa = _qa(again.content.decode())
    form = re.search(r"<form [^>]*>.*?</form>", qa, re.S)
    assert form is not None and 'id="qa-answers"' in form[0]
    assert "未回答の質問" not in form[0] and "未回答の質問" in qa
    assert qa.count('form="qa-answers"') == 2  # the textarea and its button
