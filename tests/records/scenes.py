"""Scenes for the minutes and public records: a session held last Thursday with its agenda
and attendance (as the sessions' pages record them), and a circulation the chair decided
開催しない (a written deliberation, 書面開催).

The session is made as rows (the sessions' services are another part's; these tests read
what those services leave behind). Passages carry a withheld one whose text must never reach
the public.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from circulation.models import AgendaItem, Attendance, Meeting
from circulation.reads.minutes import MinutesContent, PartInput
from tests.conftest import Council

JST = dt.timezone(dt.timedelta(hours=9))
SECRET = "ファイアウォールの機種はXYZ-9000、設置場所は本庁舎地下2階"
WITHHELD_REASON = "セキュリティ上の理由"
QUESTION = "システム障害時の対応について"
ANSWER = "専門業者が対応する。"
SESSION_TITLE = "令和8年度第1回 住民基本台帳ネットワークシステム管理運用審議会"
AGENDA = ["開会あいさつ", "委員紹介・事務局紹介", "会長選任", "議題", "閉会"]


def held_session(council: Council, *, days_ago: int = 1) -> Meeting:
    """A session of the council that began `days_ago` days ago at 14:00 (a web meeting with
    a room), with agenda items 1–5; the chair, the acting chair, 田中 and 高橋 (on the web)
    attended, 伊藤 did not."""
    today = timezone.localdate()
    day = today - dt.timedelta(days=days_ago)
    starts = dt.datetime.combine(day, dt.time(14, 0), tzinfo=JST)
    meeting = Meeting.objects.create(
        committee=council.committee,
        number=1,
        title=SESSION_TITLE,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="市民生活部長室",
        web_url="https://meet.example.jp/j/1",
        reminder_at=starts - dt.timedelta(hours=29),
        scheduled_by=council.secretariat,
        updated_by=council.secretariat,
        observers=2,
        attendance_recorded_at=starts + dt.timedelta(hours=2),
    )
    for position, text in enumerate(AGENDA, start=1):
        AgendaItem.objects.create(meeting=meeting, position=position, text=text)
    tanaka, takahashi, ito = council.members
    rows = [
        (council.chair, "attend", True),
        (council.acting_chair, "attend", True),
        (tanaka, "attend", True),
        (takahashi, "web", True),
        (ito, "absent", False),
    ]
    for user, answer, attended in rows:
        Attendance.objects.create(meeting=meeting, user=user, answer=answer, attended=attended)
    return meeting


def written_minutes(base: MinutesContent) -> MinutesContent:
    """The secretariat's text: results per item, an election, the Q&A by role, a withheld
    answer, and free text."""
    Result, QA, Text = "result", "qa", "text"
    return MinutesContent(
        title=base.title,
        held=base.held,
        place=base.place,
        attendees=base.attendees,
        absentees=base.absentees,
        agenda=base.agenda,
        observers=base.observers,
        parts=[
            PartInput(Result, "統括責任者よりあいさつ。", heading="1 開会あいさつ"),
            PartInput(
                Result, "会長:山田委員\n職務代理者:鈴木委員\nに決定した。", heading="3 会長選任"
            ),
            PartInput(QA, QUESTION, speaker="member", speaker_name="田中 委員"),
            PartInput(QA, ANSWER, speaker="secretariat"),
            PartInput(
                QA, SECRET, speaker="secretariat", withheld=True, withheld_reason=WITHHELD_REASON
            ),
            PartInput(Text, "次回の開催は書面による照会で決める。", heading="次回の開催"),
        ],
        note="質疑を記入",
    )
