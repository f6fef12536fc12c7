"""The member page's materials list and Q&A are kept rendered in the cache per version of the
circulation's content (circulation/reads/page_parts.py): a page from the kept parts is the page
rendered afresh; a correction, a question and an answer show at once, to every member; names
are never kept; drafts are never kept; a service that changes them without moving the
content version fails the test that runs it."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circulation.models import Circulation
from circulation.services import questions
from circulation.services.questions import answer_question, ask_question
from tests.circulation import files
from tests.circulation.helpers import PDF_BYTES, draft_circulation, sent_circulation

pytestmark = pytest.mark.django_db


def _page(client, circulation: Circulation) -> str:
    html = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _version(circulation: Circulation) -> int:
    return Circulation.objects.get(pk=circulation.pk).content_version


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_page_from_the_kept_parts_is_the_page_rendered_afresh(client, council, language):
    circulation = sent_circulation(council)
    question = ask_question(circulation.pk, by=council.members[1], text="<b>第3項</b>は?")
    answer_question(question.pk, by=council.secretariat, text="修正後の\n案です。")
    ask_question(circulation.pk, by=council.members[0], text="未回答の質問")
    client.force_login(council.members[0])
    client.cookies["django_language"] = language

    fresh = _page(client, circulation)
    kept = _page(client, circulation)

    assert kept == fresh
    cache.clear()
    assert _page(client, circulation) == fresh


def test_a_page_from_the_kept_parts_reads_neither_materials_nor_questions(client, council):
    circulation = sent_circulation(council)
    client.force_login(council.members[0])
    url = reverse("circulation_detail", args=[circulation.pk])

    def tables_read() -> str:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return " ".join(query["sql"] for query in captured.captured_queries)

    first, again = tables_read(), tables_read()

    assert '"circulation_material"' in first and '"circulation_question"' in first
    assert '"circulation_material"' not in again and '"circulation_question"' not in again


def test_a_corrected_material_shows_at_once_to_every_member(client, council):
    circulation = sent_circulation(council)
    old = circulation.materials.get()
    for member in council.members[:2]:
        client.force_login(member)
        assert "第2版(訂正)" not in _page(client, circulation)  # kept now
    client.force_login(council.secretariat)
    client.post(
        reverse("material_correct", args=[circulation.pk, old.pk]),
        {"file": files.upload("議事録(修正版).pdf", PDF_BYTES + b"%fix"),
         "title": "議事録(修正版)", "change_note": "出席者数を訂正しました。"},
    )  # fmt: skip
    assert _version(circulation) == 2

    for member in council.members[:2]:
        client.force_login(member)
        page = _page(client, circulation)
        assert "第2版(訂正)" in page
        assert "出席者数を訂正しました。" in page
        assert "<summary>訂正前の版</summary>" in page


def test_a_question_and_its_answer_show_at_once_marked_for_the_one_who_asked(client, council):
    circulation = sent_circulation(council)
    tanaka, takahashi = council.members[:2]
    for member in (tanaka, takahashi):
        client.force_login(member)
        assert "質問はまだありません。" in _page(client, circulation)

    question = ask_question(circulation.pk, by=tanaka, text="第3項の修正理由は?")

    client.force_login(tanaka)
    assert "質問(委員(あなた), " in _page(client, circulation)
    client.force_login(takahashi)
    page = _page(client, circulation)
    assert "質問(委員, " in page and "第3項の修正理由は?" in page
    assert "回答を準備しています。" in page

    answer_question(question.pk, by=council.secretariat, text="誤記の訂正です。")

    for member in (tanaka, takahashi):
        client.force_login(member)
        page = _page(client, circulation)
        assert "誤記の訂正です。" in page and "回答を準備しています。" not in page
    assert _version(circulation) == 3


def test_names_are_never_kept_where_the_committee_shows_them(client, council):
    council.committee.show_member_names = True
    council.committee.save()
    circulation = sent_circulation(council)
    tanaka, takahashi = council.members[:2]
    ask_question(circulation.pk, by=tanaka, text="第3項の修正理由は?")
    client.force_login(takahashi)
    assert f"質問({tanaka.full_name}, " in _page(client, circulation)

    tanaka.full_name = "田中 花子(改姓)"
    tanaka.save()  # no new content version

    assert "質問(田中 花子(改姓), " in _page(client, circulation)


@pytest.mark.parametrize("chair_first", [True, False], ids=["chair-first", "member-first"])
def test_a_member_never_gets_the_chairs_named_qa_nor_the_chair_the_members(
    client, council, chair_first
):
    """The chair sees the asker's name, a member sees 「委員」, whichever of them opened the
    page first in this process."""
    circulation = sent_circulation(council)
    tanaka, takahashi = council.members[:2]
    ask_question(circulation.pk, by=tanaka, text="第3項の修正理由は?")
    order = [council.chair, takahashi] if chair_first else [takahashi, council.chair]
    pages = {}
    for person in order:
        client.force_login(person)
        pages[person.pk] = _page(client, circulation)
    assert f"質問({tanaka.full_name}, " in pages[council.chair.pk]
    assert "質問(委員, " in pages[takahashi.pk]
    assert tanaka.full_name not in pages[takahashi.pk]


def test_a_drafts_preview_is_rendered_afresh(client, council):
    circulation = draft_circulation(council)
    client.force_login(council.secretariat)
    url = reverse("circulation_preview", args=[circulation.pk])
    assert "議事録(案)" in client.get(url).content.decode()
    material = circulation.materials.get()
    material.title = "議事録(差し替え)"
    material.save()  # as the draft's edit does: in place, no content version

    assert "議事録(差し替え)" in client.get(url).content.decode()


def test_a_service_that_does_not_move_the_content_version_fails_the_test(
    client, council, monkeypatch, content_version_watch
):
    circulation = sent_circulation(council)
    tanaka, takahashi = council.members[:2]
    client.force_login(takahashi)
    assert "質問はまだありません。" in _page(client, circulation)  # kept now
    monkeypatch.setattr(questions, "content_changed", lambda circulation: None)  # forgotten

    client.force_login(tanaka)
    client.post(reverse("question_ask", args=[circulation.pk]), {"text": "第3項の修正理由は?"})

    client.force_login(takahashi)
    assert "第3項の修正理由は?" not in _page(client, circulation)  # what it would cost
    assert content_version_watch.failures == [
        f"circulation {circulation.pk}: its materials, questions or answers changed but its"
        " content version stayed at 1 (services/content.py)"
    ]
    content_version_watch.failures.clear()  # this test expected it
