"""Every mail names the secretariat to ask (department, phone, mail address: 審議会の設定),
and the notice shows the circulation's explanation as readable text, not raw Markdown."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from circulation.models import Circulation, OutboxMessage
from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from circulation.services.questions import answer_question, ask_question
from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from portal.models import AuditEntry, Committee
from tests.circulation.helpers import draft_circulation

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)
EXPLANATION = """## 確認のお願い

第12回の議事録(案)を**ご確認**ください。詳しくは[市のページ](https://city.example.jp/giji)をご覧ください。

- 第3項に修正があります
- 第5項は *新規* です
"""


@pytest.fixture
def contact(council) -> Committee:
    committee = council.committee
    committee.contact_department = "市民課 住民記録係"
    committee.contact_phone = "03-1234-5678"
    committee.contact_email = "jimukyoku@city.example.jp"
    committee.save()
    return committee


def test_every_mail_of_a_circulation_names_the_secretariats_contact(council, contact):
    with time_machine.travel(T0, tick=False):
        draft = draft_circulation(council, deadline=T0 + dt.timedelta(days=7))
        circulation = send_circulation(draft.pk, by=council.secretariat)
        tanaka = circulation.recipients.get(user=council.members[0])
        submit_reply(recipient=tanaka, kind="no_opinion", meeting_needed=False,
                     submitted_by=council.members[0])  # fmt: skip
        question = ask_question(circulation.pk, by=council.members[0], text="資料2は最新ですか。")
        answer_question(question.pk, by=council.secretariat, text="最新です。")
    closing = T0 + dt.timedelta(days=7, seconds=30)
    with time_machine.travel(closing, tick=False):
        close_circulation(circulation.pk, now=closing)
        decide(circulation.pk, convene=False, reason="意見なしのため", by=council.chair)
    rows = OutboxMessage.objects.all()
    purposes = set(rows.values_list("purpose", flat=True))
    assert {"circulation.notice", "circulation.reply_receipt", "circulation.question",
            "circulation.answer", "circulation.closing_summary",
            "circulation.decision"} <= purposes  # fmt: skip
    for row in rows:
        for part in (row.body_text, row.body_html):
            assert "住民基本台帳ネットワークシステム管理運用審議会 事務局" in part, row.purpose
            assert "市民課 住民記録係" in part and "03-1234-5678" in part, row.purpose
            assert "jimukyoku@city.example.jp" in part, row.purpose
        assert row.body_text.rstrip().endswith("メール: jimukyoku@city.example.jp"), row.purpose


def test_without_a_contact_set_the_mail_still_names_the_secretariat(council):
    with time_machine.travel(T0, tick=False):
        draft = draft_circulation(council, deadline=T0 + dt.timedelta(days=7))
        send_circulation(draft.pk, by=council.secretariat)
    notice = OutboxMessage.objects.filter(purpose="circulation.notice").first()
    assert (
        "お問い合わせ先\n住民基本台帳ネットワークシステム管理運用審議会 事務局" in notice.body_text
    )
    assert "電話:" not in notice.body_text


def test_the_notice_shows_the_explanation_as_text_not_markdown(council):
    with time_machine.travel(T0, tick=False):
        draft = draft_circulation(council, deadline=T0 + dt.timedelta(days=7))
        Circulation.objects.filter(pk=draft.pk).update(explanation=EXPLANATION)
        send_circulation(draft.pk, by=council.secretariat)
    notice = OutboxMessage.objects.filter(purpose="circulation.notice").first()
    text = notice.body_text
    assert "確認のお願い\n\n第12回の議事録(案)をご確認ください。" in text
    assert "市のページ (https://city.example.jp/giji)" in text
    assert "・第3項に修正があります\n・第5項は 新規 です" in text
    for markdown in ("##", "**", "](", "- 第3項", "*新規*"):
        assert markdown not in text
    assert "<strong>ご確認</strong>" in notice.body_html  # the HTML part renders it


def test_the_secretariat_sets_the_contact_and_the_material_settings(client, council):
    client.force_login(council.secretariat)
    url = reverse("committee_settings", args=[council.committee.pk])
    page = client.get(url).content.decode()
    assert "事務局の担当部署" in page and "資料のリンクの有効期間(決定後の日数)" in page
    response = client.post(url, {
        "reminder_offsets_hours": ["72", "24"], "chair_reminder_days": "3",
        "contact_department": "市民課", "contact_phone": "03-1234-5678",
        "contact_email": "jimukyoku@city.example.jp", "material_link_days": "14",
        "attach_materials": "on", "attachment_limit_mb": "8",
    })  # fmt: skip
    assert response.status_code == 302
    committee = Committee.objects.get(pk=council.committee.pk)
    assert (committee.contact_phone, committee.material_link_days) == ("03-1234-5678", 14)
    assert (committee.attach_materials, committee.attachment_limit_mb) == (True, 8)
    entry = AuditEntry.objects.get(action="committee.settings.changed")
    assert entry.data["material_link_days"] == {"from": 30, "to": 14}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("contact_phone", "でんわ", "電話番号は数字とハイフンで入力してください。"),
     ("contact_email", "jimukyoku", "メールアドレスの形式が正しくありません。"),
     ("material_link_days", "400", "365日以下を入力してください。"),
     ("attachment_limit_mb", "0", "1MB以上を入力してください。")],
)  # fmt: skip
def test_a_wrong_setting_is_explained_and_what_was_typed_stays(
    client, council, field, value, message
):
    client.force_login(council.secretariat)
    data = {"reminder_offsets_hours": ["72"], "chair_reminder_days": "3",
            "material_link_days": "30", "attachment_limit_mb": "5", field: value}  # fmt: skip
    response = client.post(reverse("committee_settings", args=[council.committee.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and f'value="{value}"' in html
