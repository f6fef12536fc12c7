"""A member whose session ended (an hour idle) while writing presses 回答を送信 or 質問する:
nothing is recorded, nothing typed is lost. They log in again and find the form as they
left it, once, with a word on why it was not sent."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.models import Question, Reply
from circulation.services.sending import send_circulation
from portal.models import AuditEntry
from tests.circulation.conftest import JST
from tests.circulation.helpers import draft_circulation
from tests.circulation.web import reply_data
from tests.foundation.helpers import login_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
PASSWORD = "correct horse battery"
DEADLINE = dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST)
OPINION = "第3項の「原則として」は削るべきです。\n理由は別紙のとおり。"
QUESTION = "資料2の5ページの数値は令和7年度のものですか。"
# On the circulation page after logging in again (the login page says it first).
REPLY_NOTICE = (
    "ログインの有効期限が切れたため、回答はまだ送信されていません。内容を確認して送信してください。"
)
QUESTION_NOTICE = (
    "ログインの有効期限が切れたため、質問はまだ送信されていません。内容を確認して送信してください。"
)


@pytest.fixture
def circulation(council):
    return send_circulation(draft_circulation(council, deadline=DEADLINE).pk,
                            by=council.secretariat)  # fmt: skip


def detail(circulation) -> str:
    return reverse("circulation_detail", args=[circulation.pk])


def log_in_by_password(client, user, next_url: str):
    return client.post(f"{reverse('account_login')}?next={next_url}",
                       {"login": user.email, "password": PASSWORD})  # fmt: skip


def log_in_by_code(client, user, next_url: str):
    from circulation.models import OutboxMessage

    asked = client.post(f"{reverse('account_request_login_code')}?next={next_url}",
                        {"email": user.email})  # fmt: skip
    mail = OutboxMessage.objects.filter(purpose="account.login_code").latest("pk")
    return client.post(asked["Location"], {"code": login_code(mail)})  # carries `next` along


def open_page_then_idle(client, member, circulation, clock) -> str:
    """The member opens the circulation page and writes for more than an hour."""
    assert log_in_by_password(client, member, "/").status_code == 302
    page = client.get(detail(circulation)).content.decode()
    clock.shift(dt.timedelta(minutes=75))
    return page


def owner_mark(page: str, form_action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `form_action`, as the browser sends them."""
    form = page[page.index(f'action="{form_action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(unsent_for)" value="([^"]+)"', form))


@pytest.mark.parametrize("log_in", [log_in_by_password, log_in_by_code], ids=["password", "code"])
def test_a_reply_sent_after_the_session_ended_comes_back_filled_in_after_login(
    client, council, circulation, clock, log_in
):
    tanaka = council.members[0]
    page = open_page_then_idle(client, tanaka, circulation, clock)
    reply_url = reverse("circulation_reply", args=[circulation.pk])

    posted = client.post(reply_url, {**reply_data("opinion", OPINION, "yes"),
                                      **owner_mark(page, reply_url)})  # fmt: skip

    assert posted.status_code == 302
    login, _, next_url = posted["Location"].partition("?next=")
    assert login == reverse("account_login")
    assert next_url == f"{detail(circulation)}%23reply"
    assert not Reply.objects.exists()  # nobody was logged in: nothing is recorded
    assert not AuditEntry.objects.filter(action="circulation.reply.submitted").exists()
    login_page = client.get(posted["Location"]).content.decode()
    assert "回答はまだ送信されていません" in login_page

    back = log_in(client, tanaka, f"{detail(circulation)}%23reply")
    assert back["Location"] == f"{detail(circulation)}#reply"
    body = client.get(detail(circulation)).content.decode()
    assert REPLY_NOTICE in body
    assert f"{OPINION}</textarea>" in body
    assert re.search(r'value="opinion"[^>]*checked', body)
    assert re.search(r'name="meeting_needed" value="yes"[^>]*checked', body)
    assert not Reply.objects.exists()  # shown, not sent: the member still decides

    again = client.get(detail(circulation)).content.decode()
    assert REPLY_NOTICE not in again and OPINION not in again  # shown once

    done = client.post(reply_url, reply_data("opinion", OPINION, "yes"))
    assert done["Location"] == reverse("circulation_reply_done", args=[circulation.pk])
    reply = Reply.objects.get()
    assert (reply.opinion, reply.meeting_needed, reply.submitted_by) == (OPINION, True, tanaka)


def test_a_question_sent_after_the_session_ended_comes_back_after_login(
    client, council, circulation, clock
):
    tanaka = council.members[0]
    page = open_page_then_idle(client, tanaka, circulation, clock)
    ask_url = reverse("question_ask", args=[circulation.pk])

    posted = client.post(ask_url, {"text": QUESTION, **owner_mark(page, ask_url)})

    assert posted["Location"] == f"{reverse('account_login')}?next={detail(circulation)}%23qa"
    assert not Question.objects.exists()
    log_in_by_password(client, tanaka, f"{detail(circulation)}%23qa")
    body = client.get(detail(circulation)).content.decode()
    assert QUESTION_NOTICE in body
    assert f"{QUESTION}</textarea>" in body
    assert not Question.objects.exists()
    assert QUESTION not in client.get(detail(circulation)).content.decode()


def test_what_one_member_typed_is_never_shown_to_another_who_logs_in_next(
    client, council, circulation, clock
):
    """A shared computer: 田中's session ended, 高橋 logs in on the same browser."""
    page = open_page_then_idle(client, council.members[0], circulation, clock)
    reply_url = reverse("circulation_reply", args=[circulation.pk])
    posted = client.post(reply_url, {**reply_data("opinion", OPINION, "yes"),
                                     **owner_mark(page, reply_url)})  # fmt: skip
    client.get(posted["Location"])  # the login page, where 田中 gave up

    log_in_by_password(client, council.members[1], detail(circulation))
    body = client.get(detail(circulation)).content.decode()

    assert OPINION not in body and REPLY_NOTICE not in body


def test_a_post_without_the_forms_mark_keeps_nothing_and_records_nothing(
    client, council, circulation
):
    """Not from the member's page (a forged or foreign post): sent to log in, nothing kept."""
    reply_url = reverse("circulation_reply", args=[circulation.pk])
    posted = client.post(reply_url, {**reply_data("opinion", OPINION, "yes"),
                                     "unsent_for": "forged"})  # fmt: skip
    assert posted["Location"].startswith(reverse("account_login"))
    log_in_by_password(client, council.members[0], detail(circulation))
    body = client.get(detail(circulation)).content.decode()
    assert OPINION not in body and REPLY_NOTICE not in body
    assert not Reply.objects.exists()


@pytest.mark.parametrize("name", ["circulation_reply", "question_ask"])
@pytest.mark.parametrize("signed_in", [True, False])
def test_opening_the_reply_or_question_address_leads_to_the_circulation_page(
    client, council, circulation, name, signed_in
):
    """What the browser does after logging in with the old form address as `next`: it
    used to be an empty 405 page."""
    if signed_in:
        client.force_login(council.members[0])
    response = client.get(reverse(name, args=[circulation.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(detail(circulation))
    assert not Reply.objects.exists() and not Question.objects.exists()


def test_after_the_deadline_what_was_kept_is_shown_but_cannot_be_sent(
    client, council, circulation, clock
):
    tanaka = council.members[0]
    reply_url = reverse("circulation_reply", args=[circulation.pk])
    clock.move_to(DEADLINE - dt.timedelta(minutes=30))
    log_in_by_password(client, tanaka, "/")
    page = client.get(detail(circulation)).content.decode()
    clock.move_to(DEADLINE + dt.timedelta(minutes=40))  # the session has ended meanwhile
    client.post(reply_url, {**reply_data("opinion", OPINION, "yes"),
                            **owner_mark(page, reply_url)})  # fmt: skip
    log_in_by_password(client, tanaka, detail(circulation))
    body = client.get(detail(circulation)).content.decode()
    assert "回答期限(9月10日(木) 17:00)を過ぎたため、回答を受け付けられません。" in body
    assert f'readonly rows="6">{OPINION}</textarea>' in body
    assert not Reply.objects.exists()
