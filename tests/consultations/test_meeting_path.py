"""A consultation decided at a meeting: after the chair decided to deliberate at a meeting
instead (the circulation's convene path, its meeting scheduled as any), or registered for
a session and never sent. The secretariat records the result per item, the riders and the
Q&A said at the meeting (speakers by role, named or masked), edits the report and issues it
the same way."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from circulation.models import Circulation, Consultation, Rider, Statement
from circulation.services.consultation_results import (
    ResultRefused,
    StatementDraft,
    add_statements,
    record_meeting_result,
)
from circulation.services.decisions import decide
from circulation.services.meetings import MeetingDetails, schedule_meeting
from circulation.services.reports import ReportConflict, edit_report, issue_report
from portal.models import Role
from tests.consultations import helpers as h

pytestmark = pytest.mark.django_db

QUESTION = "データセンターは長崎市のものか。"
ANSWER = "民間企業のデータセンターになる。"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_after_the_decision_to_convene_the_secretariat_records_the_meetings_result(
    client, council, body
):
    circulation = h.closed(h.sent(council, staff=[body]))
    decide(circulation.pk, convene=True, reason="会議で審議します。", by=council.chair)
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    schedule_meeting(
        circulation.pk, by=council.secretariat,
        details=MeetingDetails(starts_at=starts, ends_at=starts + dt.timedelta(hours=2),
                               place="市民会館 第4研修室", web_url="", note=""),
    )  # fmt: skip
    items = h.items_of(circulation)
    client.force_login(council.secretariat)
    url = reverse("consultation_meeting_result", args=[circulation.pk])
    assert "会議で審議した結果" in text(client.get(url))
    response = client.post(url, {f"item_{items[0].pk}": "approved", "reasons": "理由"})
    assert response.status_code == 400  # item 2 has no result: the input is kept
    assert "議題2の結果" in text(response) and "理由" in text(response)
    response = client.post(
        url,
        {
            f"item_{items[0].pk}": "approved",
            f"item_{items[1].pk}": "carried_over",
            "rider_1": "定期的に操作記録を確認すること。",
            "reasons": "公益上の必要性があると認められるため。",
        },
    )
    assert response.status_code == 302
    consultation = Consultation.objects.get(pk=circulation.pk)
    assert consultation.decided_how == Consultation.DecidedHow.MEETING
    assert consultation.decided_as == Role.SECRETARIAT
    assert [i.result for i in h.items_of(circulation)] == ["approved", "carried_over"]
    assert Rider.objects.filter(consultation=consultation).count() == 1

    # The Q&A said at the meeting, by section and speaker's role.
    url = reverse("consultation_statements", args=[circulation.pk])
    response = client.post(
        url,
        {
            "statement-TOTAL_FORMS": "3", "statement-INITIAL_FORMS": "0",
            "statement-0-section": "qa", "statement-0-speaker_role": "member",
            "statement-0-speaker": str(council.members[0].pk), "statement-0-text": QUESTION,
            "statement-1-section": "qa", "statement-1-speaker_role": "implementing_body",
            "statement-1-speaker": "", "statement-1-text": ANSWER,
            "statement-2-section": "qa", "statement-2-speaker_role": "member",
            "statement-2-speaker": "", "statement-2-text": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    assert Statement.objects.filter(consultation=consultation).count() == 2

    # Named for the secretariat, masked for publication: speakers by role.
    named = text(client.get(reverse("consultation_record", args=[circulation.pk])))
    assert "田中 委員(委員)" in named and "(実施機関)" in named
    masked = text(client.get(reverse("consultation_record", args=[circulation.pk]), {"masked": 1}))
    assert "(委員)" in masked and QUESTION in masked and ANSWER in masked
    assert "田中" not in masked

    # The report is issued the same way.
    issue_report(
        circulation.pk, by=council.secretariat, report_date=dt.date(2026, 9, 30),
        version=Consultation.objects.get(pk=circulation.pk).report_version,
    )  # fmt: skip
    assert Consultation.objects.get(pk=circulation.pk).is_issued


def test_a_consultation_registered_for_a_session_is_decided_without_being_sent(
    client, council, body
):
    circulation = h.register(council, staff=[body], items=["保育業務支援システムの利用"])
    items = h.items_of(circulation)
    client.force_login(council.members[0])
    assert client.get(reverse("consultation_detail", args=[circulation.pk])).status_code == 404
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={items[0].pk: "approved"}, riders=[],
        reasons="保育の質の向上に資するため。",
    )  # fmt: skip
    assert Circulation.objects.get(pk=circulation.pk).state == Circulation.State.DECIDED
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "結果: 承認" in page  # now the members (its recipients) see it


def test_the_meetings_result_is_the_secretariats_and_only_once(council, body):
    circulation = h.register(council, staff=[body], items=["保育業務支援システムの利用"])
    item = h.items_of(circulation)[0]
    with pytest.raises(ResultRefused) as refused:
        record_meeting_result(
            circulation.pk, by=council.chair, results={item.pk: "approved"}, riders=[],
            reasons="x",
        )  # fmt: skip
    assert refused.value.code == "not_allowed"
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"}, riders=[],
        reasons="x",
    )  # fmt: skip
    with pytest.raises(ResultRefused) as refused:
        record_meeting_result(
            circulation.pk, by=council.secretariat, results={item.pk: "disapproved"},
            riders=[], reasons="x",
        )  # fmt: skip
    assert refused.value.code == "decided"


def test_an_open_written_vote_cannot_be_settled_as_a_meeting(council, body):
    circulation = h.sent(council, staff=[body], items=["保育業務支援システムの利用"])
    item = h.items_of(circulation)[0]
    with pytest.raises(ResultRefused) as refused:
        record_meeting_result(
            circulation.pk, by=council.secretariat, results={item.pk: "approved"}, riders=[],
            reasons="x",
        )  # fmt: skip
    assert refused.value.code == "not_now"


def test_the_report_is_edited_before_it_is_issued_and_never_after(client, council, body):
    circulation = h.register(council, staff=[body], items=["保育業務支援システムの利用"])
    item = h.items_of(circulation)[0]
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"},
        riders=[], reasons="初めの理由",
    )  # fmt: skip
    consultation = Consultation.objects.get(pk=circulation.pk)
    client.force_login(council.chair)  # the decider edits the report too
    response = client.post(
        reverse("consultation_report_edit", args=[circulation.pk]),
        {"version": consultation.report_version, "reasons": "改めた理由",
         "new_rider_1": "ログの保存を保護者に周知すること。"},
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    consultation.refresh_from_db()
    assert consultation.council_reasons == "改めた理由"
    assert consultation.riders.get().text == "ログの保存を保護者に周知すること。"
    with pytest.raises(ReportConflict):  # a page loaded before that edit
        edit_report(
            circulation.pk, by=council.secretariat, version=consultation.report_version - 1,
            reasons="古い画面から", riders=[],
        )  # fmt: skip
    # An issue from a page shown before the edit is refused too; then it goes through.
    with pytest.raises(ResultRefused) as refused:
        issue_report(
            circulation.pk, by=council.secretariat, report_date=dt.date(2026, 10, 1),
            version=consultation.report_version - 1,
        )  # fmt: skip
    assert refused.value.code == "changed"
    issue_report(
        circulation.pk, by=council.secretariat, report_date=dt.date(2026, 10, 1),
        version=consultation.report_version,
    )  # fmt: skip
    with pytest.raises(ResultRefused):
        edit_report(
            circulation.pk, by=council.secretariat, version=consultation.report_version,
            reasons="答申後", riders=[],
        )  # fmt: skip
    with pytest.raises(ResultRefused):
        add_statements(
            circulation.pk, by=council.secretariat,
            statements=[StatementDraft("qa", "member", "答申後の発言")],
        )  # fmt: skip


def test_the_report_names_the_addressee_the_council_and_its_chair(client, council, body):
    from circulation.services.consultations import update_consultation_rules

    update_consultation_rules(
        council.committee, by=council.secretariat, report_addressee="長崎市長 様"
    )
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
    page = text(client.get(reverse("consultation_report", args=[circulation.pk])))
    for words in ("長崎市長 様", council.committee.name, "会長 山田 会長", "2026年10月1日",
                  "諮問第65号", "保育業務支援システムの利用: <strong>承認</strong>",
                  "保育の質の向上に資するため。"):  # fmt: skip
        assert words in page, words
    # Printable: its own document with the print stylesheet, the toolbar left off paper.
    assert "css/consultation.css" in page and 'class="record-toolbar no-print"' in page
    stylesheet = Path(finders.find("css/consultation.css")).read_text(encoding="utf-8")
    assert "@media print" in stylesheet and "body.report-page" in stylesheet
