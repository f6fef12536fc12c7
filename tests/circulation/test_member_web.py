"""A member (田中) on the web: the home page, the circulation page, and the reply —
including two tabs, the deadline, and a reply that is incomplete."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.models import Circulation, OutboxMessage, Reply
from circulation.services.closing import close_circulation
from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from portal.models import AuditEntry, Role
from tests.circulation.conftest import JST
from tests.circulation.helpers import draft_circulation
from tests.circulation.web import reply_data
from tests.factories import CirculationFactory, MembershipFactory, RecipientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
DEADLINE = dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST)


def sent(council, *, deadline=DEADLINE, title="第12回 管理運用会議 議事録", leave_out=None):
    circulation = draft_circulation(council, deadline=deadline, title=title)
    if leave_out is not None:
        circulation.recipients.filter(user=leave_out).delete()
    return send_circulation(circulation.pk, by=council.secretariat)


def reply_url(circulation) -> str:
    return reverse("circulation_reply", args=[circulation.pk])


# --- home -----------------------------------------------------------------------------------


def test_home_lists_unanswered_first_soonest_deadline_first_across_committees(client, council):
    tanaka = council.members[0]
    later = sent(council, title="監査報告の確認")
    sooner = sent(council, deadline=dt.datetime(2026, 9, 4, 17, 0, tzinfo=JST), title="急ぎの照会")
    answered = sent(council, title="回答済みの照会")
    submit_reply(recipient=answered.recipients.get(user=tanaka), kind="no_opinion",
                 submitted_by=tanaka)  # fmt: skip
    draft_circulation(council, title="まだ下書きの照会")
    sent(council, title="田中さん以外への照会", leave_out=tanaka)
    # 田中 also sits on the other council, which circulates something too.
    MembershipFactory(user=tanaka, committee=council.other_committee, role=Role.MEMBER,
                      term_start=dt.date(2026, 4, 1), term_end=dt.date(2028, 3, 31))  # fmt: skip
    elsewhere = CirculationFactory(
        committee=council.other_committee, title="情報公開の諮問", state=Circulation.State.OPEN,
        deadline=dt.datetime(2026, 9, 8, 17, 0, tzinfo=JST), created_by=council.other_secretariat,
    )  # fmt: skip
    RecipientFactory(circulation=elsewhere, user=tanaka)
    client.force_login(tanaka)
    body = client.get("/").content.decode()
    awaiting, others = body.split('id="others-heading"')
    titles = re.findall(r'class="todo__title">([^<]+)<', awaiting)
    assert titles == [sooner.title, "情報公開の諮問", later.title]
    assert "あと3日7時間" in awaiting  # 9月4日 17:00 from 9月1日 10:00
    assert "回答済みの照会" in others
    assert "まだ下書きの照会" not in body
    assert "田中さん以外への照会" not in body
    assert "<table" not in body  # cards, readable on a 390px phone


def test_home_url_name_is_kept_and_anonymous_visitors_log_in(client, council):
    assert reverse("home") == "/"
    response = client.get("/")
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_secretariat_finds_its_committees_circulations_from_home(client, council):
    draft_circulation(council)
    client.force_login(council.secretariat)
    body = client.get("/").content.decode()
    assert reverse("committee_circulations", args=[council.committee.pk]) in body
    assert "下書き 1" in body


# --- the circulation page -------------------------------------------------------------------


def test_the_member_page_shows_everything_needed_to_reply(client, council):
    circulation = sent(council)
    client.force_login(council.members[0])
    body = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
    assert "2026年9月10日(木) 17:00" in body
    assert "あと9日7時間" in body
    assert "<p>議事録をご確認ください。</p>" in body
    material = circulation.materials.get()
    assert reverse("material_download", args=[circulation.pk, material.pk]) in body
    assert reverse("material_view", args=[circulation.pk, material.pk]) in body
    assert "開いた日時が記録され" in body
    for label in ("意見なし", "意見あり", "審議が必要", "審議は不要", "回答を送信", "質問する"):
        assert label in body
    assert 'name="base_version" value="0"' in body
    assert '<label for="id_opinion">意見' in body


def test_a_member_replies_and_sees_a_confirmation_and_gets_a_receipt(client, council):
    circulation = sent(council)
    tanaka = council.members[0]
    client.force_login(tanaka)
    response = client.post(
        reply_url(circulation),
        reply_data("opinion", "第3項の表現を「原則として」に改めるべきです。", "yes"),
    )
    assert response["Location"] == reverse("circulation_reply_done", args=[circulation.pk])
    body = client.get(response["Location"]).content.decode()
    assert "回答を受け付けました" in body
    assert "第3項の表現を「原則として」に改めるべきです。" in body
    assert "審議が必要" in body
    reply = Reply.objects.get()
    assert (reply.kind, reply.meeting_needed, reply.channel) == ("opinion", True, "web")
    assert reply.submitted_by == tanaka
    assert OutboxMessage.objects.filter(purpose="circulation.reply_receipt",
                                        to_email=tanaka.email).exists()  # fmt: skip


def test_changing_the_reply_starts_from_the_current_one(client, council):
    circulation = sent(council)
    tanaka = council.members[0]
    client.force_login(tanaka)
    client.post(reply_url(circulation), reply_data("opinion", "最初の意見", "no"))
    body = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
    assert re.search(r'value="opinion"[^>]*checked', body)
    assert re.search(r'value="no"[^>]*checked', body)
    assert "最初の意見</textarea>" in body
    assert 'name="base_version" value="1"' in body
    assert "回答を変更する" in body
    client.post(reply_url(circulation), reply_data("no_opinion", "", "no", base_version=1))
    recipient = circulation.recipients.get(user=tanaka)
    assert list(recipient.replies.values_list("version", "kind")) == [
        (1, "opinion"), (2, "no_opinion"),
    ]  # fmt: skip


def test_a_second_tab_is_shown_both_replies_and_overwrites_nothing(client, council):
    circulation = sent(council)
    client.force_login(council.members[0])
    client.post(reply_url(circulation), reply_data("no_opinion", base_version=0))
    response = client.post(
        reply_url(circulation), reply_data("opinion", "別のタブで書いた意見", "yes", 0)
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "別の画面またはメールで変更されています" in body
    assert "現在の回答(保存済み)" in body
    assert "別のタブで書いた意見</textarea>" in body  # what they typed is still there
    assert 'name="base_version" value="1"' in body  # a resend is now a conscious change
    assert Reply.objects.count() == 1
    client.post(reply_url(circulation), reply_data("opinion", "別のタブで書いた意見", "yes", 1))
    assert Reply.objects.count() == 2


def test_after_the_deadline_the_reply_is_refused_and_the_typed_text_is_shown(
    client, council, clock
):
    circulation = sent(council)
    tanaka = council.members[0]
    clock.move_to(dt.datetime(2026, 9, 10, 16, 30, tzinfo=JST))
    client.force_login(tanaka)
    # The page was loaded before 17:00; the reply arrives at 17:00 sharp.
    clock.move_to(dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST))
    response = client.post(
        reply_url(circulation), reply_data("opinion", "締切直前に書いた長い意見", "yes")
    )
    body = response.content.decode()
    assert "回答期限(9月10日(木) 17:00)を過ぎたため、回答を受け付けられません。" in body
    assert "締切直前に書いた長い意見</textarea>" in body
    assert "回答を送信</button>" not in body
    assert not Reply.objects.exists()
    assert AuditEntry.objects.filter(action="circulation.reply.refused", actor=tanaka).exists()


def test_an_opinion_without_text_is_marked_on_the_opinion_field(client, council):
    circulation = sent(council)
    client.force_login(council.members[0])
    body = client.post(reply_url(circulation), reply_data("opinion", "  ", "no")).content.decode()
    assert 'id="id_opinion-error"' in body
    assert "「意見あり」の場合は意見を入力してください。" in body
    assert re.search(r'<textarea[^>]*aria-describedby="id_opinion-error id_opinion_helptext"', body)
    assert not Reply.objects.exists()


def test_forgetting_the_meeting_question_keeps_the_opinion(client, council):
    circulation = sent(council)
    client.force_login(council.members[0])
    data = reply_data("opinion", "大事な意見")
    del data["meeting_needed"]
    body = client.post(reply_url(circulation), data).content.decode()
    assert "「審議が必要」か「審議は不要」を選んでください。" in body
    assert 'id="id_meeting_needed-error"' in body
    assert "大事な意見</textarea>" in body


def test_a_closed_circulation_shows_the_reply_but_no_form(client, council, clock):
    circulation = sent(council)
    tanaka = council.members[0]
    submit_reply(recipient=circulation.recipients.get(user=tanaka), kind="no_opinion",
                 meeting_needed=False, submitted_by=tanaka)  # fmt: skip
    clock.move_to(DEADLINE + dt.timedelta(minutes=1))
    close_circulation(circulation.pk)
    client.force_login(tanaka)
    body = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
    assert "締切" in body
    assert "意見なし" in body
    assert "回答を送信</button>" not in body


# --- who may see and reply ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "other_secretariat", "former_member", "left_out"])
def test_people_it_does_not_concern_cannot_see_or_reply(client, council, who):
    circulation = sent(council, leave_out=council.members[2])
    person = {
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "former_member": council.former_member,
        "left_out": council.members[2],
    }[who]
    client.force_login(person)
    assert client.get(reverse("circulation_detail", args=[circulation.pk])).status_code == 404
    assert client.post(reply_url(circulation), reply_data()).status_code == 404
    assert client.get(reverse("circulation_reply_done", args=[circulation.pk])).status_code == 404
    assert not Reply.objects.exists()


def test_secretariat_and_implementing_body_see_the_page_but_cannot_reply(
    client, council, implementing_body
):
    circulation = sent(council)
    for person in (council.secretariat, implementing_body):
        client.force_login(person)
        body = client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()
        assert circulation.title in body
        assert "回答を送信</button>" not in body
        assert client.post(reply_url(circulation), reply_data()).status_code == 403
    assert not Reply.objects.exists()


def test_opening_the_reply_address_records_nothing_and_leads_to_the_form(client, council):
    circulation = sent(council)
    client.force_login(council.members[0])
    response = client.get(reply_url(circulation))
    assert response["Location"] == reverse("circulation_detail", args=[circulation.pk]) + "#reply"
    assert not Reply.objects.exists()


def test_an_incomplete_reply_after_the_deadline_still_shows_the_typed_text(client, council, clock):
    circulation = sent(council)
    clock.move_to(DEADLINE + dt.timedelta(minutes=1))
    client.force_login(council.members[0])
    data = reply_data("opinion", "選び忘れたが大事な意見")
    del data["meeting_needed"]
    body = client.post(reply_url(circulation), data).content.decode()
    assert "回答期限(9月10日(木) 17:00)を過ぎたため" in body
    assert "選び忘れたが大事な意見</textarea>" in body


def test_the_implementing_body_finds_open_circulations_with_unanswered_questions(
    client, council, implementing_body
):
    from circulation.services.questions import ask_question

    circulation = sent(council)
    ask_question(circulation.pk, by=council.members[0], text="質問です")
    client.force_login(implementing_body)
    body = client.get("/").content.decode()
    assert reverse("circulation_questions", args=[circulation.pk]) in body
    assert "未回答の質問 1件" in body
    assert reverse("committee_circulations", args=[council.committee.pk]) not in body
