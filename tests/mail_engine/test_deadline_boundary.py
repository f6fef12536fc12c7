"""The deadline day: 「9月10日まで」 is 2026-09-10 24:00 JST (15:00 UTC). A reply at
23:59:59.999 JST is accepted; at 00:00:00.000 it is refused — whatever the server's zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from circulation.models import Reply
from circulation.services.replies import ReplyRefused, submit_reply
from tests.circulation.helpers import sent_circulation

JST = dt.timezone(dt.timedelta(hours=9))
DEADLINE = dt.datetime(2026, 9, 11, 0, 0, tzinfo=JST)  # the end of 9月10日 in Japan


@pytest.fixture(params=["UTC", "Asia/Tokyo"])
def server_zone(request, settings):
    settings.TIME_ZONE = request.param  # Django also sets the process's TZ from it
    return request.param


def reply_at(circulation, user, moment):
    with time_machine.travel(moment, tick=False):
        return submit_reply(
            recipient=circulation.recipients.get(user=user),
            kind=Reply.Kind.NO_OPINION,
            submitted_by=user,
        )


def test_a_reply_in_the_last_millisecond_of_the_deadline_day_is_accepted(
    council, broker, server_zone
):
    assert DEADLINE.astimezone(dt.UTC) == dt.datetime(2026, 9, 10, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=JST), tick=False):
        circulation = sent_circulation(council, deadline=DEADLINE)
    last_moment = dt.datetime(2026, 9, 10, 23, 59, 59, 999000, tzinfo=JST)
    reply = reply_at(circulation, council.members[0], last_moment)
    assert reply.submitted_at == last_moment


def test_a_reply_at_midnight_after_the_deadline_day_is_refused(council, broker, server_zone):
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=JST), tick=False):
        circulation = sent_circulation(council, deadline=DEADLINE)
    with translation.override("ja"), pytest.raises(ReplyRefused, match="回答期限"):
        reply_at(circulation, council.members[0], dt.datetime(2026, 9, 11, 0, 0, tzinfo=JST))
    assert not Reply.objects.exists()
