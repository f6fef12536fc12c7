"""The whole circulation on the web, as the council lives it: 佐藤 (secretariat) drafts and
sends; 田中 reads, replies and changes his mind; 高橋 asks; 佐藤 answers and extends; 伊藤
is too late; the circulation closes with everything on record."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.models import Circulation, OutboxMessage, Reply
from circulation.services.closing import close_circulation
from portal.models import AuditEntry
from tests.circulation import files
from tests.circulation.conftest import JST
from tests.circulation.helpers import PDF_BYTES
from tests.circulation.web import draft_data, reply_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_draft_send_read_reply_ask_answer_extend_change_refuse_close(client, council, clock):
    tanaka, takahashi, ito = council.members
    sato = council.secretariat

    # 佐藤 drafts, previews and sends (Tuesday 1 September, 10:00).
    client.force_login(sato)
    assert (
        reverse("circulation_create", args=[council.committee.pk])
        in client.get("/").content.decode()
    )
    client.post(
        reverse("circulation_create", args=[council.committee.pk]),
        draft_data(
            title="第12回 管理運用会議 議事録の確認",
            recipients=[council.chair.pk, council.acting_chair.pk, tanaka.pk, takahashi.pk, ito.pk],
            files=[(files.upload("議事録(案).pdf", PDF_BYTES), "議事録(案)")],
        ),
    )  # fmt: skip
    circulation = Circulation.objects.get()
    preview = client.get(reverse("circulation_preview", args=[circulation.pk])).content.decode()
    assert "議事録(案)" in preview and "送付する</button>" in preview
    client.post(reverse("circulation_send", args=[circulation.pk]), {"revision": "1"})
    assert OutboxMessage.objects.filter(purpose="circulation.notice").count() == 5

    # 田中 finds it on his home page, opens the material and replies.
    clock.move_to(dt.datetime(2026, 9, 2, 9, 0, tzinfo=JST))
    client.force_login(tanaka)
    home = client.get("/").content.decode()
    assert "第12回 管理運用会議 議事録の確認" in home.split('id="todo-heading"')[1]
    page = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
    download = re.search(r'href="(/c/\d+/materials/\d+/download/)"', page).group(1)
    assert client.get(download).status_code == 200
    response = client.post(reverse("circulation_reply", args=[circulation.pk]),
                           reply_data("opinion", "第3項の修正が必要です。", "yes"))  # fmt: skip
    assert "回答を受け付けました" in client.get(response["Location"]).content.decode()

    # 高橋 asks; 佐藤 answers from the tracking page; 田中 sees the answer.
    client.force_login(takahashi)
    client.post(reverse("question_ask", args=[circulation.pk]), {"text": "第3項とはどこですか。"})
    client.force_login(sato)
    tracking = client.get(reverse("circulation_tracking", args=[circulation.pk])).content.decode()
    question_id = re.search(r'name="answer-(\d+)-text"', tracking).group(1)
    client.post(
        reverse("question_answer", args=[circulation.pk, question_id]),
        {f"answer-{question_id}-text": "2ページ目の第3項です。", "return_to": "tracking"},
    )
    assert OutboxMessage.objects.filter(purpose="circulation.answer").count() == 5

    # 佐藤 extends the deadline by a week.
    client.post(reverse("circulation_extend", args=[circulation.pk]),
                {"deadline_date": "2026-09-17", "deadline_time": "17:00",
                 "reason": "質疑を踏まえて検討いただくため"})  # fmt: skip

    # 田中 reads the answer and changes his reply after the first deadline.
    clock.move_to(dt.datetime(2026, 9, 11, 10, 0, tzinfo=JST))
    client.force_login(tanaka)
    page = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
    assert "2ページ目の第3項です。" in page
    assert "9月17日(木) 17:00" in page
    client.post(reverse("circulation_reply", args=[circulation.pk]),
                reply_data("no_opinion", "", "no", base_version=1))  # fmt: skip

    # 伊藤 is too late.
    clock.move_to(dt.datetime(2026, 9, 17, 17, 0, 1, tzinfo=JST))
    client.force_login(ito)
    refused = client.post(reverse("circulation_reply", args=[circulation.pk]),
                          reply_data("opinion", "遅れてすみません。", "no"))  # fmt: skip
    assert "遅れてすみません。</textarea>" in refused.content.decode()

    # The clock closes it; the tracking page holds the whole story.
    assert close_circulation(circulation.pk) is True
    client.force_login(sato)
    tracking = client.get(reverse("circulation_tracking", args=[circulation.pk])).content.decode()
    assert 'id="count-replied">1<' in tracking and 'id="count-not-replied">4<' in tracking
    assert "第3項の修正が必要です。" in tracking  # the earlier version, kept
    assert list(Reply.objects.values_list("version", "kind")) == [(1, "opinion"), (2, "no_opinion")]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "circulation.created", "circulation.sent", "circulation.material.downloaded",
        "circulation.reply.submitted", "circulation.question.asked",
        "circulation.question.answered", "circulation.deadline.extended",
        "circulation.reply.refused", "circulation.closed",
    } <= actions  # fmt: skip
