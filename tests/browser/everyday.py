"""A council in the middle of its week, for the browser tests of everyday work: something
waiting for each person (issue 19's home pages, decision, error summary, follow-up)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from circulation.jobs.due import record_heartbeat
from circulation.models import Circulation, Question
from circulation.services.closing import close_circulation
from circulation.services.replies import submit_reply
from portal.models import User
from tests.browser.helpers import DEADLINE, START
from tests.circulation.helpers import draft_circulation, sent_circulation
from tests.everyday.helpers import failed_mail, held_mail, implementing_body_of

OPEN_TITLE = "令和9年度 第1四半期 運用状況報告について"
CLOSED_TITLE = "第45回 管理運用会議の議事録について"
DRAFT_TITLE = "第46回 管理運用会議の議事録について"
QUESTION = "資料2の稼働率は前年度と同じ算定方法ですか。"
OPINION = "第3項の運用記録に欠落があり、審議が必要と考えます。"


@dataclasses.dataclass
class Week:
    open: Circulation  # due 9月10日(金) 17:00; 田中 and 伊藤 have not replied; a question waits
    closed: Circulation  # closed last Friday, waiting for the chair since
    draft: Circulation  # due today at 17:00: no time for any reminder
    body: User  # 木村, staff of the implementing body


def answer(circulation: Circulation, user: User, kind: str = "no_opinion", opinion: str = "",
           meeting: bool = False) -> None:  # fmt: skip
    submit_reply(recipient=circulation.recipients.get(user=user), kind=kind, opinion=opinion,
                 meeting_needed=meeting, submitted_by=user)  # fmt: skip


def a_week(council, clock) -> Week:
    """Built through the services on the clock of the browser tests (Monday 6 September
    2027, 09:00 JST), which stands there again afterwards."""
    tanaka, takahashi, ito = council.members
    # Last week's circulation, closed on Friday at 17:00 and not decided yet.
    clock.move_to(START - dt.timedelta(days=7))
    closed = sent_circulation(council, title=CLOSED_TITLE, deadline=DEADLINE - dt.timedelta(days=7))
    answer(closed, tanaka, "opinion", OPINION, meeting=True)
    answer(closed, takahashi)
    answer(closed, council.chair)
    clock.move_to(DEADLINE - dt.timedelta(days=7, seconds=-30))
    assert close_circulation(closed.pk)
    clock.move_to(START)
    opened = sent_circulation(council, title=OPEN_TITLE, deadline=DEADLINE)
    answer(opened, takahashi)
    answer(opened, council.chair)
    answer(opened, council.acting_chair)
    Question.objects.create(circulation=opened, asked_by=takahashi, text=QUESTION)
    failed_mail(opened, ito)
    held_mail(council.committee)
    draft = draft_circulation(council, title=DRAFT_TITLE,
                              deadline=START + dt.timedelta(hours=8))  # fmt: skip
    closed.refresh_from_db()
    record_heartbeat("due_work")  # beat runs: no warning on the secretariat's pages
    body = implementing_body_of(council.committee)
    return Week(open=opened, closed=closed, draft=draft, body=body)
