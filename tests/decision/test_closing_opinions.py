"""The closing summary to whoever decides carries the tally and every opinion, so that the
chair can judge from the mail; names as the council shows them (「委員」 unless it shows
members' names). The others' summaries carry the tally only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from circulation.models import OutboxMessage
from circulation.services.closing import close_circulation
from tests.decision.helpers import OPINION, open_scene, reply
from tests.security.html import visible_text

pytestmark = pytest.mark.django_db
SUMMARY = "circulation.closing_summary"
SECOND = "資料3の表の数値が\n前回と異なります。"


def summary_to(email: str) -> OutboxMessage:
    return OutboxMessage.objects.get(purpose=SUMMARY, to_email=email)


@pytest.fixture
def two_opinions(council):
    """The scene's circulation (田中 asks for a meeting with an opinion), to which 伊藤 adds
    an opinion an hour before the deadline; closed by beat at the deadline."""

    def close():
        scene = open_scene(council)
        with time_machine.travel(scene.deadline - dt.timedelta(hours=1), tick=False):
            reply(scene.circulation, council.members[2], "opinion", SECOND, meeting_needed=False)
        with time_machine.travel(scene.closed_at, tick=False):
            assert close_circulation(scene.circulation.pk, now=scene.closed_at)

    return close


def test_the_deciding_chair_reads_every_opinion_masked_by_default(council, two_opinions):
    two_opinions()
    mail = summary_to(council.chair.email)
    for part in (mail.body_text, visible_text(mail.body_html)):
        assert "意見(2件)" in part
        assert OPINION in part
        assert "資料3の表の数値が" in part and "前回と異なります。" in part
        assert "審議が必要" in part and "審議は不要" in part
        assert "「委員」と表示しています" in part
        assert "田中" not in part and "伊藤" not in part  # the council does not show names
    assert "回答済み: 4 / 5" in mail.body_text


def test_with_names_shown_the_opinions_are_named(council, two_opinions):
    council.committee.show_member_names = True
    council.committee.save()
    two_opinions()
    text = summary_to(council.chair.email).body_text
    assert "■ 田中 委員 — 審議が必要\n" + OPINION in text
    assert "■ 伊藤 委員 — 審議は不要\n" + SECOND in text
    assert "「委員」と表示しています" not in text


def test_those_who_do_not_decide_get_the_tally_without_the_opinions(council, two_opinions):
    two_opinions()
    for person in (council.acting_chair, council.secretariat):
        mail = summary_to(person.email)
        assert "回答済み: 4 / 5" in mail.body_text
        assert OPINION not in mail.body_text and OPINION not in mail.body_html
