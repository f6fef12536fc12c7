"""The process's core services as the secretariat, members and the clock see them."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from circulation.models import Circulation, OutboxMessage, Reply
from circulation.services.closing import close_circulation
from circulation.services.replies import (
    ReplyConflict,
    ReplyInvalid,
    ReplyRefused,
    submit_reply,
)
from circulation.services.sending import SendRefused, send_circulation
from portal.models import AuditEntry
from tests.circulation.helpers import draft_circulation, sent_circulation

JST = dt.timezone(dt.timedelta(hours=9))
pytestmark = pytest.mark.django_db


def recipient_of(circulation, user):
    return circulation.recipients.get(user=user)


def test_sending_opens_the_circulation_and_writes_one_notice_per_sitting_member(council):
    circulation = sent_circulation(council)
    assert circulation.state == Circulation.State.OPEN
    notices = OutboxMessage.objects.filter(purpose="circulation.notice", circulation=circulation)
    to = set(notices.values_list("to_email", flat=True))
    assert to == {"yamada@example.jp", "suzuki@example.jp", "tanaka@example.jp",
                  "takahashi@example.jp", "ito@example.jp"}  # fmt: skip
    assert "watanabe@example.jp" not in to  # term ended
    assert AuditEntry.objects.filter(action="circulation.sent", actor=council.secretariat).exists()


def test_notice_states_the_deadline_in_japan_time_with_weekday(council):
    deadline = dt.datetime(2026, 12, 4, 17, 0, tzinfo=JST)  # a Friday
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 0, tzinfo=JST), tick=False):
        circulation = sent_circulation(council, deadline=deadline)
    notice = OutboxMessage.objects.filter(
        circulation=circulation, to_email="tanaka@example.jp"
    ).get()
    assert "12月4日(金) 17:00" in notice.subject
    assert "12月4日(金) 17:00" in notice.body_text
    assert "田中 委員 様" in notice.body_text


def test_sending_twice_is_refused_and_sends_no_second_notice(council):
    circulation = sent_circulation(council)
    with pytest.raises(SendRefused):
        send_circulation(circulation.pk, by=council.secretariat)
    assert OutboxMessage.objects.filter(purpose="circulation.notice").count() == 5


def test_a_draft_changed_since_its_preview_is_not_sent(council):
    """The revision the secretariat previewed is compared under the send's row lock: an
    edit saved between the preview and the press of 送付する stops the send."""
    circulation = draft_circulation(council)
    previewed = circulation.revision
    Circulation.objects.filter(pk=circulation.pk).update(revision=previewed + 1)  # an edit
    with pytest.raises(SendRefused, match="プレビューの後に内容が変更されました"):
        send_circulation(circulation.pk, by=council.secretariat, revision=previewed)
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.DRAFT
    assert not OutboxMessage.objects.exists()
    send_circulation(circulation.pk, by=council.secretariat, revision=previewed + 1)
    assert OutboxMessage.objects.filter(purpose="circulation.notice").count() == 5


def test_a_draft_with_a_past_deadline_is_not_sent(council):
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 0, tzinfo=JST), tick=False):
        circulation = draft_circulation(
            council, deadline=dt.datetime(2026, 11, 24, 8, 0, tzinfo=JST)
        )
        with pytest.raises(SendRefused, match="回答期限"):
            send_circulation(circulation.pk, by=council.secretariat)
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.DRAFT


def test_member_replies_then_changes_and_every_version_is_kept(council):
    circulation = sent_circulation(council)
    tanaka = recipient_of(circulation, council.members[0])
    submit_reply(recipient=tanaka, kind="no_opinion", submitted_by=council.members[0],
                 base_version=0)  # fmt: skip
    second = submit_reply(
        recipient=tanaka, kind="opinion", opinion="第3項の表現を改めるべきです。",
        meeting_needed=True, submitted_by=council.members[0], base_version=1,
    )  # fmt: skip
    tanaka.refresh_from_db()
    assert tanaka.current_reply == second
    assert list(tanaka.replies.values_list("version", "kind")) == [
        (1, "no_opinion"), (2, "opinion"),
    ]  # fmt: skip
    receipts = OutboxMessage.objects.filter(purpose="circulation.reply_receipt")
    assert receipts.count() == 2
    assert "第3項の表現を改めるべきです。" in receipts.get(key="v2").body_text


def test_opinion_without_text_is_invalid(council):
    circulation = sent_circulation(council)
    with pytest.raises(ReplyInvalid, match="意見を入力"):
        submit_reply(recipient=recipient_of(circulation, council.members[0]), kind="opinion",
                     opinion="   ", submitted_by=council.members[0], base_version=0)  # fmt: skip


def test_second_tab_is_told_the_reply_changed_meanwhile(council):
    circulation = sent_circulation(council)
    tanaka = recipient_of(circulation, council.members[0])
    submit_reply(recipient=tanaka, kind="no_opinion", submitted_by=council.members[0],
                 base_version=0)  # fmt: skip
    with pytest.raises(ReplyConflict) as refused:
        submit_reply(recipient=tanaka, kind="opinion", opinion="別タブの意見",
                     submitted_by=council.members[0], base_version=0)  # fmt: skip
    assert refused.value.current.kind == Reply.Kind.NO_OPINION
    assert tanaka.replies.count() == 1


def test_reply_boundary_at_midnight_japan_time_with_the_server_in_utc(council, settings):
    settings.TIME_ZONE = "UTC"
    deadline = dt.datetime(2026, 9, 11, 0, 0, tzinfo=JST)  # "by the end of 9/10"
    with time_machine.travel(dt.datetime(2026, 9, 1, 9, 0, tzinfo=JST), tick=False):
        circulation = sent_circulation(council, deadline=deadline)
    tanaka = recipient_of(circulation, council.members[0])
    just_before = dt.datetime(2026, 9, 10, 23, 59, 59, 999000, tzinfo=JST)
    submit_reply(recipient=tanaka, kind="no_opinion", submitted_by=council.members[0],
                 now=just_before)  # fmt: skip
    with pytest.raises(ReplyRefused, match="回答期限"):
        submit_reply(recipient=tanaka, kind="no_opinion", submitted_by=council.members[0],
                     now=deadline)  # fmt: skip
    assert tanaka.replies.count() == 1
    assert AuditEntry.objects.filter(action="circulation.reply.refused").count() == 1


def test_closing_happens_once_and_summarises_to_chair_acting_chair_and_secretariat(council):
    circulation = sent_circulation(council)
    tanaka = recipient_of(circulation, council.members[0])
    submit_reply(recipient=tanaka, kind="opinion", opinion="要審議", meeting_needed=True,
                 submitted_by=council.members[0])  # fmt: skip
    later = circulation.deadline + dt.timedelta(seconds=1)
    assert close_circulation(circulation.pk, now=later) is True
    assert close_circulation(circulation.pk, now=later) is False
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.CLOSED
    summaries = OutboxMessage.objects.filter(purpose="circulation.closing_summary")
    assert set(summaries.values_list("to_email", flat=True)) == {
        "yamada@example.jp", "suzuki@example.jp", "sato@city.example.jp",
    }  # fmt: skip
    chair_mail = summaries.get(to_email="yamada@example.jp")
    assert "開催の要否" in chair_mail.subject
    assert "回答済み: 1 / 5" in chair_mail.body_text
    assert "審議が必要: 1" in chair_mail.body_text
    assert "開催の要否" not in summaries.get(to_email="sato@city.example.jp").subject


def test_a_circulation_is_not_closed_before_its_deadline(council):
    circulation = sent_circulation(council)
    assert close_circulation(circulation.pk) is False
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.OPEN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_closers_close_once_and_send_one_summary_each(council):
    circulation = sent_circulation(council)
    later = circulation.deadline + dt.timedelta(seconds=1)
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def close() -> None:
        barrier.wait()
        try:
            results.append(close_circulation(circulation.pk, now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert OutboxMessage.objects.filter(purpose="circulation.closing_summary").count() == 3
