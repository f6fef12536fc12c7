"""Questions (質問する) and answers (回答): asked by a recipient, answered by the
secretariat or the implementing body, seen and mailed to every recipient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from circulation.models import Answer, OutboxMessage, Question
from circulation.services.questions import QuestionRefused, answer_question, ask_question
from circulation.services.sending import send_circulation
from portal.models import AuditEntry
from tests.circulation.conftest import JST
from tests.circulation.helpers import draft_circulation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
DEADLINE = dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST)
QUESTION = "資料2の5ページの数値は令和7年度のものですか。"


def sent(council, leave_out=None):
    circulation = draft_circulation(council, deadline=DEADLINE)
    if leave_out is not None:
        circulation.recipients.filter(user=leave_out).delete()
    return send_circulation(circulation.pk, by=council.secretariat)


def page(client, circulation) -> str:
    return client.get(reverse("circulation_detail", args=[circulation.pk])).content.decode()


def test_a_member_asks_and_the_secretariat_and_implementing_body_are_told(
    client, council, implementing_body
):
    circulation = sent(council)
    tanaka = council.members[0]
    client.force_login(tanaka)
    response = client.post(reverse("question_ask", args=[circulation.pk]), {"text": QUESTION})
    assert response["Location"].endswith(f"/c/{circulation.pk}/#qa")
    question = Question.objects.get()
    assert question.asked_by == tanaka
    assert AuditEntry.objects.filter(action="circulation.question.asked", actor=tanaka).exists()
    told = OutboxMessage.objects.filter(purpose="circulation.question")
    assert set(told.values_list("to_email", flat=True)) == {
        council.secretariat.email, implementing_body.email,
    }  # fmt: skip
    assert QUESTION in told.first().body_text
    assert "委員(あなた)" in page(client, circulation)


def test_members_see_委員_and_the_secretariat_sees_the_name(client, council):
    circulation = sent(council)
    ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    client.force_login(council.members[1])
    body = page(client, circulation)
    assert QUESTION in body
    assert "(委員, 9月1日(火) 10:00)" in body
    assert "田中" not in body
    client.force_login(council.secretariat)
    tracking = client.get(reverse("circulation_tracking", args=[circulation.pk]))
    assert "田中 委員, 9月1日(火) 10:00" in tracking.content.decode()


@pytest.mark.parametrize("who", ["chair", "acting_chair"])
def test_the_chair_and_the_acting_chair_see_the_askers_name(client, council, who):
    """The committee's setting promises names to 事務局・会長・職務代理者 always, whether or
    not members see them; the member page must keep that promise."""
    assert not council.committee.show_member_names
    circulation = sent(council)
    ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    client.force_login(getattr(council, who))
    assert "(田中 委員, 9月1日(火) 10:00)" in page(client, circulation)


def test_a_committee_that_shows_names_shows_the_asker_to_members(client, council):
    council.committee.show_member_names = True
    council.committee.save()
    circulation = sent(council)
    ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    client.force_login(council.members[1])
    assert "(田中 委員, 9月1日(火) 10:00)" in page(client, circulation)


def test_the_implementing_body_answers_and_every_recipient_is_told(
    client, council, implementing_body
):
    circulation = sent(council)
    question = ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    client.force_login(implementing_body)
    questions_page = client.get(reverse("circulation_questions", args=[circulation.pk]))
    body = questions_page.content.decode()
    assert QUESTION in body and "田中" not in body  # no names for the implementing body
    response = client.post(
        reverse("question_answer", args=[circulation.pk, question.pk]),
        {f"answer-{question.pk}-text": "はい、令和7年度の数値です。", "return_to": "questions"},
    )
    assert response["Location"] == reverse("circulation_questions", args=[circulation.pk])
    answer = Answer.objects.get()
    assert answer.answered_by == implementing_body
    mails = OutboxMessage.objects.filter(
        purpose="circulation.answer", key=f"question-{question.pk}"
    )
    assert mails.count() == 5
    tanaka_mail = mails.get(to_email=council.members[0].email)
    assert "はい、令和7年度の数値です。" in tanaka_mail.body_text
    assert "(あなたの質問です)" in tanaka_mail.body_text
    assert "あなたの質問" not in mails.get(to_email=council.members[1].email).body_text
    assert AuditEntry.objects.filter(action="circulation.question.answered").count() == 1
    client.force_login(council.members[1])
    assert "はい、令和7年度の数値です。" in page(client, circulation)


def test_the_secretariat_answers_from_the_tracking_page(client, council):
    circulation = sent(council)
    question = ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    client.force_login(council.secretariat)
    tracking_url = reverse("circulation_tracking", args=[circulation.pk])
    assert f'name="answer-{question.pk}-text"' in client.get(tracking_url).content.decode()
    response = client.post(
        reverse("question_answer", args=[circulation.pk, question.pk]),
        {f"answer-{question.pk}-text": "令和7年度です。", "return_to": "tracking"},
    )
    assert response["Location"] == tracking_url
    assert Answer.objects.get().answered_by == council.secretariat


def test_an_empty_answer_is_marked_and_a_second_answer_refused(client, council):
    circulation = sent(council)
    question = ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    client.force_login(council.secretariat)
    url = reverse("question_answer", args=[circulation.pk, question.pk])
    body = client.post(url, {f"answer-{question.pk}-text": " "}).content.decode()
    assert f'id="id_answer-{question.pk}-text-error"' in body
    answer_question(question.pk, by=council.secretariat, text="回答済み")
    with pytest.raises(QuestionRefused, match="すでに回答"):
        answer_question(question.pk, by=council.secretariat, text="二度目")
    assert Answer.objects.count() == 1


def test_open_questions_share_one_form_whose_buttons_each_answer_their_own(client, council):
    circulation = sent(council)
    first = ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    second = ask_question(circulation.pk, by=council.members[1], text="会議の日程は?")
    client.force_login(council.secretariat)
    tracking_url = reverse("circulation_tracking", args=[circulation.pk])
    qa = client.get(tracking_url).content.decode().split('id="qa-heading"')[1]
    assert qa.count("<form") == 1 and qa.count("csrfmiddlewaretoken") == 1
    for question in (first, second):
        answer_url = reverse("question_answer", args=[circulation.pk, question.pk])
        assert f'formaction="{answer_url}"' in qa

    # The browser sends every field of the form to the button's question: only its own counts.
    response = client.post(
        reverse("question_answer", args=[circulation.pk, second.pk]),
        {f"answer-{first.pk}-text": "まだ途中", f"answer-{second.pk}-text": "来月です。",
         "return_to": "tracking"},
    )  # fmt: skip
    assert response["Location"] == tracking_url
    assert [(a.question_id, a.text) for a in Answer.objects.all()] == [(second.pk, "来月です。")]


def test_an_empty_answer_keeps_what_was_typed_for_the_other_questions(client, council):
    circulation = sent(council)
    first = ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    second = ask_question(circulation.pk, by=council.members[1], text="会議の日程は?")
    client.force_login(council.secretariat)
    response = client.post(
        reverse("question_answer", args=[circulation.pk, first.pk]),
        {f"answer-{first.pk}-text": " ", f"answer-{second.pk}-text": "来月の予定です。"},
    )
    body = response.content.decode()
    assert f'id="id_answer-{first.pk}-text-error"' in body
    assert "来月の予定です。</textarea>" in body
    assert f'id="id_answer-{second.pk}-text-error"' not in body
    assert not Answer.objects.exists()


def test_after_a_failed_answer_from_the_tracking_page_the_next_one_goes_back_there(client, council):
    circulation = sent(council)
    question = ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    client.force_login(council.secretariat)
    url = reverse("question_answer", args=[circulation.pk, question.pk])
    failed = client.post(url, {f"answer-{question.pk}-text": " ", "return_to": "tracking"})
    assert 'name="return_to" value="tracking"' in failed.content.decode()
    answered = client.post(url, {f"answer-{question.pk}-text": "はい。", "return_to": "tracking"})
    assert answered["Location"] == reverse("circulation_tracking", args=[circulation.pk])


def test_after_the_deadline_a_question_is_refused_and_its_text_kept(client, council, clock):
    circulation = sent(council)
    clock.move_to(DEADLINE + dt.timedelta(minutes=5))
    client.force_login(council.members[0])
    response = client.post(reverse("question_ask", args=[circulation.pk]), {"text": QUESTION})
    body = response.content.decode()
    assert "回答期限を過ぎたため、質問は受け付けられません。" in body
    assert f"{QUESTION}</textarea>" in body
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("outsider", 404),
        ("other_secretariat", 404),
        ("left_out", 404),
        ("former_member", 404),
        ("secretariat", 403),
    ],
)
def test_only_recipients_ask(client, council, who, status):
    circulation = sent(council, leave_out=council.members[2])
    person = {
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "left_out": council.members[2],
        "former_member": council.former_member,
        "secretariat": council.secretariat,
    }[who]
    client.force_login(person)
    response = client.post(reverse("question_ask", args=[circulation.pk]), {"text": QUESTION})
    assert response.status_code == status
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 403), ("chair", 403), ("other_secretariat", 404), ("outsider", 404)],
)
def test_only_the_secretariat_and_implementing_body_answer(client, council, who, status):
    circulation = sent(council)
    question = ask_question(circulation.pk, by=council.members[0], text=QUESTION)
    person = {
        "member": council.members[1],
        "chair": council.chair,
        "other_secretariat": council.other_secretariat,
        "outsider": council.outsider,
    }[who]
    client.force_login(person)
    assert client.get(reverse("circulation_questions", args=[circulation.pk])).status_code == status
    response = client.post(
        reverse("question_answer", args=[circulation.pk, question.pk]),
        {f"answer-{question.pk}-text": "勝手な回答"},
    )
    assert response.status_code == status
    assert not Answer.objects.exists()
