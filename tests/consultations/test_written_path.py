"""The whole path of a consultation decided in writing (書面による議事), on the pages, with
the personas: 佐藤 (secretariat) registers and sends 諮問第65号; 木村 (the implementing
body named for it) answers a question and adds a material; the members vote per item —
with an abstention, an opinion, a proposed rider and a member who never votes; beat closes
it; 山田 (chair) sees the tally and every opinion, confirms the results the rules propose
and adopts the rider with his own wording; 佐藤 issues the report; 木村 is told and records
the rider's response. 森 (staff of another consultation) and 小林 (outsider) see nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.jobs.due import run_due_work
from circulation.models import (
    Circulation,
    Consultation,
    ConsultationItem,
    OutboxMessage,
    Result,
    Rider,
    RiderResponse,
)
from circulation.services.questions import ask_question
from portal.models import AuditEntry
from tests.consultations import helpers as h

pytestmark = pytest.mark.django_db

RIDER = "業者に任せきりにせず、定期的に操作記録を確認すること。"
ADOPTED = "業者に任せきりにせず、定期的に作業者の操作記録を確認するよう求める。"
OPINION = "公益上の必要性はあると考える。"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_written_vote_from_registration_to_the_riders_response(
    client, council, body, other_body, time_machine
):
    members = council.members  # 田中, 高橋, 伊藤
    # 佐藤 registers and sends.
    client.force_login(council.secretariat)
    circulation = h.register(council, staff=[body])
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "諮問第65号" in page and "送付する" in page
    response = client.post(
        reverse("consultation_send", args=[circulation.pk]), {"revision": circulation.revision}
    )
    assert response.status_code == 302
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.OPEN
    notices = OutboxMessage.objects.filter(purpose="circulation.notice", circulation=circulation)
    assert notices.count() == 5  # the chair, the acting chair and three members
    notice = notices.get(to_user=members[0])
    assert "諮問第65号" in notice.subject
    assert "/c/v/" in notice.body_text and "承認" in notice.body_text  # links per item

    # A member asks; 木村 (named for it) is told and answers; 森 is not told.
    question = ask_question(circulation.pk, by=members[1], text="データセンターは国内ですか。")
    told = OutboxMessage.objects.filter(purpose="circulation.question")
    assert set(told.values_list("to_user", flat=True)) == {council.secretariat.pk, body.pk}
    client.force_login(body)
    response = client.post(
        reverse("question_answer", args=[circulation.pk, question.pk]),
        {f"answer-{question.pk}-text": "日本国内のデータセンターです。"},
    )
    assert response.status_code == 302
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "日本国内のデータセンターです。" in page and "(実施機関" in page
    client.force_login(other_body)
    assert client.get(reverse("consultation_detail", args=[circulation.pk])).status_code == 404

    # Votes: 田中 approves both with an opinion and a rider; 高橋 approves the first and
    # abstains on the second; the chair disapproves the first; 伊藤 and 鈴木 never vote.
    items = h.items_of(circulation)
    client.force_login(members[0])
    response = client.post(
        reverse("consultation_vote", args=[circulation.pk]),
        {
            "base_version": 0,
            f"vote_{items[0].pk}": "approve",
            f"opinion_{items[0].pk}": OPINION,
            f"rider_{items[0].pk}": RIDER,
            f"vote_{items[1].pk}": "approve",
        },
    )
    assert response.status_code == 302, text(response)
    h.vote(circulation, members[1], "approve", "abstain")
    h.vote(circulation, council.chair, "disapprove", "approve")
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt", to_user=members[0])
    assert OPINION in receipt.body_text and RIDER in receipt.body_text

    # 森 and the outsider never see the vote table; 木村 neither (votes are not his).
    for person, status in [(other_body, 404), (council.outsider, 404), (body, 403)]:
        client.force_login(person)
        url = reverse("consultation_votes", args=[circulation.pk])
        assert client.get(url).status_code == status, person

    # Beat closes it at the deadline; the chair gets the tally per item.
    time_machine.move_to(circulation.deadline + dt.timedelta(seconds=30))
    report = run_due_work()
    assert circulation.pk in report.closed
    summary = OutboxMessage.objects.get(
        purpose="circulation.closing_summary", to_user=council.chair
    )
    assert "承認 2 / 不承認 1 / 保留 0 / 未回答 2" in summary.body_text
    assert "結果の確定をお願いします" in summary.subject

    # The chair's page: counts, every opinion and rider named, and the proposals.
    client.force_login(council.chair)
    page = text(client.get(reverse("consultation_result", args=[circulation.pk])))
    assert "田中 委員" in page and OPINION in page and RIDER in page
    assert "規則による結果: 承認" in page
    assert "伊藤 委員" in page  # not voted
    vote_with_rider = (
        Consultation.objects.get(pk=circulation.pk)
        .items.get(order=1)
        .votes.get(proposed_rider=RIDER)
    )
    # 承認 on item 1 (2 of 3 cast), and item 2 (2 approve, 1 abstain: 2 of 2 cast).
    response = client.post(
        reverse("consultation_result", args=[circulation.pk]),
        {
            f"item_{items[0].pk}": "approved",
            f"item_{items[1].pk}": "approved",
            f"adopt_{vote_with_rider.pk}": "on",
            f"adopt_text_{vote_with_rider.pk}": ADOPTED,
            "reasons": "公益上の必要性があり、安全管理措置も講じられているため。",
        },
    )
    assert response.status_code == 302, text(response)
    consultation = Consultation.objects.get(pk=circulation.pk)
    assert consultation.decided_how == Consultation.DecidedHow.WRITTEN
    assert [i.result for i in consultation.items.all()] == [Result.APPROVED, Result.APPROVED]
    rider = Rider.objects.get(consultation=consultation)
    assert rider.text == ADOPTED and rider.proposed_in_id == vote_with_rider.pk
    results = OutboxMessage.objects.filter(purpose="consultation.result")
    assert results.filter(to_user=members[2]).exists()  # every recipient, voted or not
    assert not results.filter(to_user=body).exists()  # the council's, not the body's

    # Before the report is issued, 木村 cannot read it; the secretariat issues it.
    client.force_login(body)
    assert client.get(reverse("consultation_report", args=[circulation.pk])).status_code == 403
    client.force_login(council.secretariat)
    page = text(client.get(reverse("consultation_report", args=[circulation.pk])))
    assert "答申案" in page and ADOPTED in page and "答申する" in page
    response = client.post(
        reverse("consultation_issue", args=[circulation.pk]),
        {"report_date": "2026-09-20", "version": consultation.report_version},
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.is_issued and str(consultation.report_date) == "2026-09-20"
    assert Circulation.objects.get(pk=circulation.pk).state == Circulation.State.ARCHIVED
    told = OutboxMessage.objects.get(purpose="consultation.report", to_user=body)
    assert "答申" in told.subject and ADOPTED in told.body_text
    assert AuditEntry.objects.filter(action="consultation.report.issued").count() == 1

    # 木村 reads the report and records the rider's response; it leaves the open list.
    client.force_login(body)
    page = text(client.get(reverse("consultation_report", args=[circulation.pk])))
    assert "(答申)" in page and "承認" in page and ADOPTED in page
    assert OPINION not in page and "田中" not in page  # never a vote or an opinion
    response = client.post(
        reverse("rider_respond", args=[circulation.pk, rider.pk]),
        {"text": "毎月、作業履歴の提出を受けて確認しています。", "responded_on": "2026-09-25",
         "done": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert RiderResponse.objects.get(rider=rider).done
    client.force_login(council.secretariat)
    page = text(client.get(reverse("committee_riders", args=[council.committee.pk])))
    assert "対応中の付言はありません。" in page


def test_staff_see_questions_and_materials_but_never_votes_or_opinions(client, council, body):
    circulation = h.sent(council, staff=[body])
    h.vote(circulation, council.members[0], "disapprove", "approve", opinion="反対の理由です。")
    client.force_login(body)
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "諮問書" in page  # the material
    assert "反対の理由です。" not in page and "不承認" not in page.split("議題")[0]
    for name in ("consultation_votes", "consultation_result", "consultation_record"):
        assert client.get(reverse(name, args=[circulation.pk])).status_code == 403, name
    # And may add a material, which the members hear of.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.circulation.helpers import PDF_BYTES

    upload = SimpleUploadedFile("補足資料.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(
        reverse("consultation_add_material", args=[circulation.pk]),
        {"material-file": upload, "material-title": "補足資料"},
    )
    assert response.status_code == 302, text(response)
    assert circulation.materials.filter(title="補足資料").exists()
    added = OutboxMessage.objects.filter(purpose="consultation.material_added")
    assert added.filter(to_user=council.members[0]).exists()
    assert not added.filter(to_user=body).exists()


def test_two_items_decided_differently_and_the_unanswered_member_shown(client, council, body):
    circulation = h.sent(council, staff=[body])
    h.vote(circulation, council.members[0], "approve", "disapprove")
    h.vote(circulation, council.members[1], "approve", "disapprove")
    h.vote(circulation, council.members[2], "abstain", "disapprove")
    circulation = h.closed(circulation)
    client.force_login(council.secretariat)
    page = text(client.get(reverse("consultation_votes", args=[circulation.pk])))
    assert "山田 会長(会長)" in page and "未回答" in page
    client.force_login(council.chair)
    items = h.items_of(circulation)
    response = client.post(
        reverse("consultation_result", args=[circulation.pk]),
        {f"item_{items[0].pk}": "approved", f"item_{items[1].pk}": "approved", "reasons": "x"},
    )
    # Item 2 was disapproved by the vote: the chair cannot turn it around.
    assert response.status_code == 400
    assert "規則による結果(不承認)か、継続審議を選んでください。" in text(response)
    assert ConsultationItem.objects.filter(result="").count() == 2
    response = client.post(
        reverse("consultation_result", args=[circulation.pk]),
        {f"item_{items[0].pk}": "approved", f"item_{items[1].pk}": "disapproved", "reasons": "x"},
    )
    assert response.status_code == 302
    assert [i.result for i in h.items_of(circulation)] == ["approved", "disapproved"]
