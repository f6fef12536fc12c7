"""A member's vote (書面による議事) on every channel: the page (changeable until the deadline,
every version kept, two tabs never overwriting each other, late votes refused with what
was typed shown back, none once the term has ended), the one-click link per item (a
confirmation page first), and mail (held for the secretariat, who records it for the
member). Reminders go to those who have not voted, with the links; home lists what waits."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation.inbound.service import receive_raw_message
from circulation.jobs.due import run_due_work
from circulation.mail.tokens import Purpose, make_token, reply_address
from circulation.models import InboundMessage, ItemVote, OutboxMessage, Reply
from circulation.reads.todo import todo_for
from circulation.services.replies import ReplyRefused
from portal.models import AuditEntry, Membership
from tests.consultations import helpers as h

pytestmark = pytest.mark.django_db


def votes_awaited(user) -> list[str]:
    """The consultations in the person's やること awaiting their vote."""
    return [item.title for item in todo_for(user) if item.kind == "vote"]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def post_vote(client, circulation, items, votes, base=0, **extra):
    data = {"base_version": base}
    for item, value in zip(items, votes, strict=False):
        if value:
            data[f"vote_{item.pk}"] = value
    data.update(extra)
    return client.post(reverse("consultation_vote", args=[circulation.pk]), data)


def test_a_vote_changes_until_the_deadline_and_every_version_is_kept(client, council, body):
    circulation = h.sent(council, staff=[body])
    items = h.items_of(circulation)
    tanaka = council.members[0]
    client.force_login(tanaka)
    assert post_vote(client, circulation, items, ["approve", "abstain"]).status_code == 302
    assert post_vote(client, circulation, items, ["approve", "approve"], base=1).status_code == 302
    replies = Reply.objects.filter(recipient__user=tanaka).order_by("version")
    assert [r.version for r in replies] == [1, 2]
    assert [v.vote for v in ItemVote.objects.filter(reply=replies[0])] == ["approve", "abstain"]
    assert [v.vote for v in ItemVote.objects.filter(reply=replies[1])] == ["approve", "approve"]
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "第2版" in page and "回答済み" in page


def test_a_form_from_another_tab_is_not_saved_over_a_newer_vote(client, council, body):
    circulation = h.sent(council, staff=[body])
    items = h.items_of(circulation)
    client.force_login(council.members[0])
    post_vote(client, circulation, items, ["approve", "approve"])
    response = post_vote(client, circulation, items, ["disapprove", "approve"], base=0)
    assert response.status_code == 409
    assert "別の画面で変更されています" in text(response)
    assert Reply.objects.filter(recipient__user=council.members[0]).count() == 1


def test_nothing_chosen_is_an_error_tied_to_the_form_and_keeps_the_text(client, council, body):
    circulation = h.sent(council, staff=[body])
    items = h.items_of(circulation)
    client.force_login(council.members[0])
    response = post_vote(
        client, circulation, items, ["", ""], **{f"opinion_{items[0].pk}": "意見だけ書きました"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "議題1の賛否(承認・不承認・保留)を選んでください。" in page
    assert "意見だけ書きました" in page
    assert not Reply.objects.exists()


def test_a_late_vote_is_refused_and_what_was_typed_is_shown_back(
    client, council, body, time_machine
):
    circulation = h.sent(council, staff=[body])
    items = h.items_of(circulation)
    time_machine.move_to(circulation.deadline + dt.timedelta(seconds=5))
    client.force_login(council.members[0])
    response = post_vote(
        client, circulation, items, ["approve", "approve"],
        **{f"opinion_{items[0].pk}": "遅れてしまった意見", f"rider_{items[1].pk}": "遅れた付言"},
    )  # fmt: skip
    assert response.status_code == 403
    page = text(response)
    assert "回答期限" in page and "受け付けられません" in page
    assert "遅れてしまった意見" in page and "遅れた付言" in page
    assert not Reply.objects.exists()
    refused = AuditEntry.objects.get(action="circulation.reply.refused")
    assert refused.data["reason"] == "deadline"


def test_a_member_whose_term_has_ended_reads_but_no_longer_votes(client, council, body):
    circulation = h.sent(council, staff=[body])
    tanaka = council.members[0]
    Membership.objects.filter(user=tanaka, committee=council.committee).update(
        term_end=timezone.localdate() - dt.timedelta(days=1)
    )
    client.force_login(tanaka)
    page = text(client.get(reverse("consultation_detail", args=[circulation.pk])))
    assert "任期が終了したため" in page and "回答を送信" not in page
    response = post_vote(client, circulation, h.items_of(circulation), ["approve", "approve"])
    assert response.status_code == 403
    with pytest.raises(ReplyRefused):
        h.vote(circulation, tanaka, "approve")
    assert votes_awaited(tanaka) == []


def test_a_one_click_link_confirms_first_and_keeps_the_other_items_votes(client, council, body):
    circulation = h.sent(council, staff=[body])
    tanaka = council.members[0]
    h.vote(circulation, tanaka, "abstain", "approve", opinion="最初の意見")
    recipient = h.receipt(circulation, tanaka)
    token = make_token(recipient, Purpose.VOTE)
    url = reverse("consultation_vote_link", args=[token]) + "?item=1&vote=approve"
    page = text(client.get(url))  # nobody logged in: a mail scanner, or the member
    assert "議題1を「承認」とします" in page and "現在の賛否" in page
    assert Reply.objects.filter(recipient=recipient).count() == 1  # a GET changed nothing
    response = client.post(url, {"base_version": 1})
    assert response.status_code == 200 and "賛否を記録しました" in text(response)
    current = h.receipt(circulation, tanaka).current_reply
    assert (current.version, current.channel) == (2, Reply.Channel.LINK)
    votes = {v.item.order: v for v in current.item_votes.all()}
    assert votes[1].vote == "approve" and votes[1].opinion == "最初の意見"
    assert votes[2].vote == "approve"
    # The same confirmation page posted again (a replay) records nothing more.
    assert client.post(url, {"base_version": 1}).status_code == 409
    assert Reply.objects.filter(recipient=recipient).count() == 2


def test_a_link_opened_by_someone_else_or_after_the_deadline_is_refused(
    client, council, body, time_machine
):
    circulation = h.sent(council, staff=[body])
    recipient = h.receipt(circulation, council.members[0])
    url = reverse("consultation_vote_link", args=[make_token(recipient, Purpose.VOTE)])
    url += "?item=1&vote=approve"
    client.force_login(council.members[1])
    assert client.get(url).status_code == 403
    client.logout()
    assert (
        client.get(
            reverse("consultation_vote_link", args=["x" * 40]) + "?item=1&vote=approve"
        ).status_code
        == 404
    )
    time_machine.move_to(circulation.deadline + dt.timedelta(seconds=1))
    assert client.post(url, {"base_version": 0}).status_code == 410
    assert AuditEntry.objects.filter(action="circulation.link.refused").count() == 3


def _mail_from(recipient, body: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = recipient.user.email
    mail["To"] = reply_address(recipient)
    mail["Subject"] = "Re: 【書面による議事】諮問第65号"
    mail["Message-ID"] = "<vote-1@example.jp>"
    mail.set_content(body)
    return mail.as_bytes()


def test_a_mail_reply_holding_a_vote_is_held_and_the_secretariat_records_it(client, council, body):
    circulation = h.sent(council, staff=[body])
    recipient = h.receipt(circulation, council.members[0])
    message = receive_raw_message(
        _mail_from(recipient, "議題1 承認\n議題2 保留"), source="simulate"
    )
    assert (message.state, message.reason) == (
        InboundMessage.State.HELD,
        InboundMessage.Reason.VOTE,
    )
    assert not Reply.objects.exists()  # never read from a mail by itself
    told = OutboxMessage.objects.get(purpose="circulation.mail_reply_held", to_user=recipient.user)
    assert "事務局が内容を確認して記録します" in told.body_text
    # The secretariat finds it among the held mail and records it for the member.
    client.force_login(council.secretariat)
    held = text(client.get(reverse("inbound_detail", args=[council.committee.pk, message.pk])))
    assert "諮問の賛否(事務局が確認)" in held and "賛否を代理で記録する" in held
    url = reverse("consultation_vote_for", args=[circulation.pk, recipient.pk])
    page = text(client.get(url, {"message": message.pk}))
    assert "議題1 承認" in page
    items = h.items_of(circulation)
    response = client.post(
        url,
        {"message": message.pk, "base_version": 0, f"vote_{items[0].pk}": "approve",
         f"vote_{items[1].pk}": "abstain"},
    )  # fmt: skip
    assert response.status_code == 302
    reply = h.receipt(circulation, recipient.user).current_reply
    assert (reply.channel, reply.submitted_by) == (Reply.Channel.MAIL, council.secretariat)
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ASSIGNED
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert "事務局が代わって記録しました" in receipt.body_text


def test_reminders_go_to_those_who_have_not_voted_with_the_vote_links(council, body, time_machine):
    circulation = h.sent(council, staff=[body])
    h.vote(circulation, council.members[0], "approve", "approve")
    time_machine.move_to(circulation.deadline - dt.timedelta(hours=23))
    run_due_work()
    reminders = OutboxMessage.objects.filter(purpose="circulation.reminder")
    told = set(reminders.values_list("to_user__email", flat=True))
    assert council.members[0].email not in told
    assert council.members[1].email in told and council.chair.email in told
    reminder = reminders.get(to_user=council.members[1])
    assert "督促" in reminder.subject and "/c/v/" in reminder.body_text
    run_due_work()  # again: nothing more
    assert OutboxMessage.objects.filter(purpose="circulation.reminder").count() == len(told)


def test_home_lists_the_consultations_waiting_for_the_members_vote_in_the_to_do_list(
    client, council, body
):
    circulation = h.sent(council, staff=[body])
    takahashi = council.members[1]
    assert votes_awaited(takahashi) == [f"諮問第65号 {circulation.title}"]
    client.force_login(takahashi)
    page = text(client.get(reverse("home")))
    # Once, as an item of やること (賛否待ち), linking to the vote form.
    assert page.count(f"諮問第65号 {circulation.title}") == 1
    assert "賛否待ち" in page and "資料を見て賛否を表明する" in page
    assert reverse("consultation_detail", args=[circulation.pk]) + "#vote" in page
    h.vote(circulation, takahashi, "approve")
    assert votes_awaited(takahashi) == []
    assert "賛否待ち" not in text(client.get(reverse("home")))
    client.force_login(body)
    page = text(client.get(reverse("home")))
    assert "担当の諮問(実施機関)" in page and "諮問第65号" in page
