"""A member's session ends while they write their opinion (the browser loses the session
cookie, as after an hour idle): 回答を送信 leads to the login page, nothing is recorded, and
after logging in the form is there again as they left it, to be sent by them."""

from __future__ import annotations

from circulation.models import Reply
from tests.browser import flows
from tests.browser.helpers import DEADLINE, PASSWORD, button, field, login, page_text
from tests.circulation.helpers import sent_circulation

OPINION = "第3項の「原則として」は削るべきです。"


def test_a_reply_typed_as_the_session_ends_is_there_after_logging_in(clock, phone, council):
    circulation = sent_circulation(council, deadline=DEADLINE)
    tanaka = council.members[0]
    login(phone, tanaka.email)
    flows.open_circulation(phone, circulation.title, council.committee.name)
    flows.choice(phone, "意見あり").check()
    field(phone, "意見").fill(OPINION)
    flows.choice(phone, "審議が必要").check()
    phone.context.clear_cookies(name="sessionid")  # the session has ended meanwhile

    button(phone, "回答を送信").click()
    flows.settle(phone)

    assert "回答はまだ送信されていません" in page_text(phone)
    assert not Reply.objects.exists()
    field(phone, "メールアドレス").fill(tanaka.email)
    field(phone, "パスワード").fill(PASSWORD)
    button(phone, "ログイン").click()
    flows.settle(phone)
    assert phone.url.endswith(f"/c/{circulation.pk}/#reply")
    assert field(phone, "意見").input_value() == OPINION
    assert flows.choice(phone, "意見あり").is_checked()
    assert flows.choice(phone, "審議が必要").is_checked()
    assert not Reply.objects.exists()

    button(phone, "回答を送信").click()
    flows.settle(phone)
    reply = Reply.objects.get()
    assert (reply.opinion, reply.meeting_needed, reply.submitted_by) == (OPINION, True, tanaka)
