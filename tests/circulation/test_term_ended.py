"""A member whose term (任期) ends while a circulation sent to them is open keeps reading
what was sent to them, but no longer replies or asks — on the web, by a one-click link or
by mail — and is no longer reminded. 田中's term ends on Saturday 5 September (the last day
served); the circulation was sent on Tuesday 1 September with a deadline of 10 September."""

from __future__ import annotations

import datetime as dt
import re
from email.mime.text import MIMEText
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from circulation.inbound.service import receive_raw_message
from circulation.jobs.due import committee_rules, due_reminders, run_due_work
from circulation.models import InboundMessage, OutboxMessage, Question, Reply
from circulation.services.questions import QuestionRefused, ask_question
from circulation.services.replies import ReplyRefused, submit_reply
from circulation.services.sending import send_circulation
from portal.models import AuditEntry, Membership
from portal.permissions import Action, may_on_circulation, still_sits
from portal.services.membership import end_term, reappoint
from tests.circulation.conftest import JST
from tests.circulation.helpers import draft_circulation
from tests.circulation.web import reply_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
DEADLINE = dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST)
LAST_DAY = dt.date(2026, 9, 5)
SUNDAY = dt.datetime(2026, 9, 6, 9, 0, tzinfo=JST)  # the first day after the term
OPINION = "第3項は削るべきです。"
SEAT_ENDED = "任期が終了したため、この書面照会に回答・質問することはできません。"


@pytest.fixture
def circulation(council):
    circulation = send_circulation(draft_circulation(council, deadline=DEADLINE).pk,
                                   by=council.secretariat)  # fmt: skip
    seat = Membership.objects.get(committee=council.committee, user=council.members[0])
    end_term(seat, council.secretariat, on=LAST_DAY)
    return circulation


@pytest.fixture
def tanaka(council):
    return council.members[0]


def page(client, circulation) -> str:
    response = client.get(reverse("circulation_detail", args=[circulation.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- the web ----------------------------------------------------------------------------


def test_on_the_last_day_of_the_term_the_member_still_replies(client, circulation, tanaka, clock):
    clock.move_to(dt.datetime(2026, 9, 5, 23, 59, tzinfo=JST))
    client.force_login(tanaka)
    assert "回答を送信" in page(client, circulation)
    client.post(reverse("circulation_reply", args=[circulation.pk]),
                reply_data("opinion", OPINION, "no"))  # fmt: skip
    assert Reply.objects.get().opinion == OPINION


def test_after_the_term_the_page_reads_but_offers_no_reply_or_question(
    client, circulation, tanaka, clock
):
    clock.move_to(SUNDAY)
    client.force_login(tanaka)
    body = page(client, circulation)
    assert SEAT_ENDED in body
    assert "回答を送信" not in body and 'name="text"' not in body  # no reply nor question form
    material = circulation.materials.get()
    download = reverse("material_download", args=[circulation.pk, material.pk])
    assert download in body
    assert client.get(download).status_code == 200


def test_a_reply_posted_after_the_term_is_refused_and_the_text_shown_back(
    client, circulation, tanaka, clock
):
    clock.move_to(SUNDAY)
    client.force_login(tanaka)
    response = client.post(reverse("circulation_reply", args=[circulation.pk]),
                           reply_data("opinion", OPINION, "yes"))  # fmt: skip
    body = response.content.decode()
    assert "任期が終了しているため、回答は受け付けられません。" in body
    assert f'readonly rows="6">{OPINION}</textarea>' in body
    assert not Reply.objects.exists()
    refused = AuditEntry.objects.get(action="circulation.reply.refused")
    assert (refused.actor, refused.data["reason"]) == (tanaka, "term_ended")


def test_a_question_posted_after_the_term_is_refused_and_the_text_shown_back(
    client, circulation, tanaka, clock
):
    clock.move_to(SUNDAY)
    client.force_login(tanaka)
    question = "資料2の数値の出典は?"
    body = client.post(reverse("question_ask", args=[circulation.pk]),
                       {"text": question}).content.decode()  # fmt: skip
    assert "任期が終了しているため、質問は受け付けられません。" in body
    assert f">{question}</textarea>" in body
    assert not Question.objects.exists()


def test_the_services_refuse_whoever_calls_them(circulation, tanaka, clock):
    clock.move_to(SUNDAY)
    receipt = circulation.recipients.get(user=tanaka)
    with pytest.raises(ReplyRefused, match="任期が終了している"):
        submit_reply(recipient=receipt, kind="no_opinion", submitted_by=tanaka)
    with pytest.raises(QuestionRefused, match="任期が終了している"):
        ask_question(circulation.pk, by=tanaka, text="質問")


def test_a_member_reappointed_for_a_new_term_replies_again(
    client, council, circulation, tanaka, clock
):
    seat = Membership.objects.get(committee=council.committee, user=tanaka)
    reappoint(seat, council.secretariat, term_start=LAST_DAY + dt.timedelta(days=1))
    clock.move_to(SUNDAY)
    client.force_login(tanaka)
    assert SEAT_ENDED not in page(client, circulation)
    client.post(reverse("circulation_reply", args=[circulation.pk]),
                reply_data("opinion", OPINION, "no"))  # fmt: skip
    assert Reply.objects.get().opinion == OPINION


def test_the_home_page_does_not_wait_for_a_reply_the_member_cannot_give(
    client, circulation, tanaka, clock
):
    clock.move_to(SUNDAY)
    client.force_login(tanaka)
    body = client.get("/").content.decode()
    awaiting, others = body.split('id="others-heading"')
    assert circulation.title not in awaiting
    assert circulation.title in others


# --- the one-click links ------------------------------------------------------------------


def notice_links(circulation, person) -> dict[str, str]:
    notice = OutboxMessage.objects.get(purpose="circulation.notice", to_user=person,
                                       circulation=circulation)  # fmt: skip
    urls = re.findall(r"https?://\S+/c/l/[a-z2-7]+/", notice.body_text)
    return {"no_opinion": urlsplit(urls[0]).path, "reply": urlsplit(urls[1]).path}


@pytest.mark.parametrize("which", ["no_opinion", "reply"])
def test_the_notices_links_no_longer_reply_after_the_term(client, circulation, tanaka, clock,
                                                          which):  # fmt: skip
    link = notice_links(circulation, tanaka)[which]
    clock.move_to(SUNDAY)
    opened = client.get(link)
    assert opened.status_code == 403
    assert "任期が終了しているため、このリンクからは回答できません。" in opened.content.decode()
    posted = client.post(link, {"kind": "no_opinion", "base_version": "0"})
    assert posted.status_code == 403
    assert not Reply.objects.exists()
    assert AuditEntry.objects.filter(action="circulation.link.refused",
                                     data__reason="term_ended").count() == 2  # fmt: skip


# --- mail -------------------------------------------------------------------------------


def mail_reply(circulation, person, text: str) -> bytes:
    notice = OutboxMessage.objects.get(purpose="circulation.notice", to_user=person,
                                       circulation=circulation)  # fmt: skip
    mail = MIMEText(text, "plain", "utf-8")
    mail["From"] = person.email
    mail["To"] = notice.reply_to
    mail["Subject"] = "Re: " + notice.subject
    mail["Message-ID"] = "<reply-1@example.jp>"
    return mail.as_bytes()


def test_a_mail_reply_after_the_term_is_held_for_the_secretariat_with_the_reason(
    client, council, circulation, tanaka, clock
):
    raw = mail_reply(circulation, tanaka, "意見なし")
    clock.move_to(SUNDAY)
    message = receive_raw_message(raw, source="simulate")
    assert (message.state, message.reason) == (InboundMessage.State.HELD, "term_ended")
    assert not Reply.objects.exists()
    answer = OutboxMessage.objects.get(purpose="circulation.mail_reply_held", to_user=tanaka)
    assert "任期が終了しているため、回答としては記録せず" in answer.body_text
    client.force_login(council.secretariat)
    held = client.get(reverse("inbound_list", args=[council.committee.pk])).content.decode()
    assert "任期終了後の返信" in held


# --- reminders --------------------------------------------------------------------------


def test_reminders_skip_a_member_whose_term_has_ended(council, circulation, tanaka, clock):
    three_days_before = DEADLINE - dt.timedelta(hours=72)
    clock.move_to(three_days_before)
    owed = {r.user for r in due_reminders(three_days_before, committee_rules())}
    assert tanaka not in owed
    assert council.members[1] in owed
    run_due_work(three_days_before)
    reminded = set(OutboxMessage.objects.filter(purpose="circulation.reminder")
                   .values_list("to_email", flat=True))  # fmt: skip
    assert tanaka.email not in reminded and council.members[1].email in reminded


def test_the_permission_rules_let_them_read_but_not_speak(circulation, tanaka, clock):
    clock.move_to(SUNDAY)
    circulation.refresh_from_db()
    assert may_on_circulation(tanaka, Action.VIEW_CIRCULATION, circulation)
    assert may_on_circulation(tanaka, Action.DOWNLOAD_MATERIAL, circulation)
    assert not may_on_circulation(tanaka, Action.REPLY, circulation)
    assert not may_on_circulation(tanaka, Action.ASK_QUESTION, circulation)
    assert not still_sits(tanaka, circulation.committee)
    assert still_sits(tanaka, circulation.committee, LAST_DAY)


def test_an_extension_asks_only_those_who_may_still_reply(council, circulation, tanaka, clock):
    from circulation.services.deadlines import extend_deadline

    clock.move_to(SUNDAY)
    extend_deadline(circulation.pk, by=council.secretariat, reason="資料の差し替えのため",
                    new_deadline=DEADLINE + dt.timedelta(days=7))  # fmt: skip
    told = set(OutboxMessage.objects.filter(purpose="circulation.deadline_extended")
               .values_list("to_email", flat=True))  # fmt: skip
    assert tanaka.email not in told
    assert council.members[1].email in told and council.chair.email in told


# --- a deactivated account --------------------------------------------------------------


@pytest.fixture
def takahashi_deactivated(council):
    """高橋's account is switched off (is_active) while his term still runs: the notice's
    links and a reply by mail no longer speak for him."""
    circulation = send_circulation(draft_circulation(council, deadline=DEADLINE).pk,
                                   by=council.secretariat)  # fmt: skip
    takahashi = council.members[1]
    takahashi.is_active = False
    takahashi.save(update_fields=["is_active"])
    return circulation, takahashi


def test_a_deactivated_accounts_links_no_longer_reply(client, takahashi_deactivated):
    circulation, takahashi = takahashi_deactivated
    link = notice_links(circulation, takahashi)["no_opinion"]
    assert client.get(link).status_code == 403
    assert client.post(link, {"kind": "no_opinion", "base_version": "0"}).status_code == 403
    assert not Reply.objects.exists()


def test_a_deactivated_accounts_mail_reply_is_held(takahashi_deactivated):
    circulation, takahashi = takahashi_deactivated
    message = receive_raw_message(mail_reply(circulation, takahashi, "意見なし"), source="simulate")
    assert message.state == InboundMessage.State.HELD
    assert not Reply.objects.exists()
