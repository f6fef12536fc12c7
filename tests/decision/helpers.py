"""A circulation walked through the real services up to the chair's decision.

Moments are fixed weekdays a week or two after today (terms in the personas are computed
from today), so that 「(木) 17:00」 can be asserted whatever day the suite runs.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import time_machine
from django.utils import timezone

from circulation.models import Answer, Circulation, Question, Recipient
from circulation.services.closing import close_circulation
from circulation.services.replies import submit_reply
from portal.models import Committee, Membership, Role, User
from tests.circulation.helpers import sent_circulation
from tests.conftest import Council
from tests.factories import MembershipFactory, UserFactory

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
WEEKDAYS = "月火水木金土日"
OPINION = "第3項の運用記録に欠落があり、審議が必要と考えます。"
QUESTION = "監査報告の指摘事項2は是正済みですか。"
ANSWER = "是正済みです。資料2の4頁をご覧ください。"
REASON = "審議が必要との意見が1件あり、指摘事項を確認するため開催します。"


def jst_label(moment: dt.datetime, *, year: bool = False) -> str:
    """How Kairan writes a moment: 2026年12月3日(木) 17:00."""
    local = moment.astimezone(JST)
    prefix = f"{local.year}年" if year else ""
    return f"{prefix}{local.month}月{local.day}日({WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def next_monday() -> dt.datetime:
    """09:00 JST on the Monday at least a week from today."""
    today = timezone.localdate()
    day = today + dt.timedelta(days=7 + (7 - today.weekday()) % 7)
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=JST)


@dataclass
class Scene:
    circulation: Circulation
    sent_at: dt.datetime  # Monday 09:00
    deadline: dt.datetime  # Thursday 17:00
    closed_at: dt.datetime  # Thursday 17:00:30
    decide_at: dt.datetime  # Friday 10:00

    def reload(self) -> Circulation:
        self.circulation.refresh_from_db()
        return self.circulation


def open_scene(council: Council) -> Scene:
    """Sent on Monday with a Thursday 17:00 deadline; replies and a Q&A on Tuesday:
    田中 has an opinion and asks for a meeting, 高橋 and the chair have none, 伊藤 and the
    acting chair do not reply. 高橋 asked a question that the secretariat answered."""
    monday = next_monday()
    deadline = (monday + dt.timedelta(days=3)).replace(hour=17)
    with time_machine.travel(monday, tick=False):
        circulation = sent_circulation(council, deadline=deadline)
    tuesday = monday + dt.timedelta(days=1, hours=1)
    tanaka, takahashi = council.members[0], council.members[1]
    with time_machine.travel(tuesday, tick=False):
        reply(circulation, tanaka, "opinion", OPINION, meeting_needed=True)
        reply(circulation, takahashi, "no_opinion", meeting_needed=False)
        reply(circulation, council.chair, "no_opinion")
        question = Question.objects.create(
            circulation=circulation, asked_by=takahashi, text=QUESTION, asked_at=tuesday
        )
        Answer.objects.create(
            question=question, text=ANSWER, answered_by=council.secretariat,
            answered_at=tuesday + dt.timedelta(hours=2),
        )  # fmt: skip
    return Scene(
        circulation=circulation,
        sent_at=monday,
        deadline=deadline,
        closed_at=deadline + dt.timedelta(seconds=30),
        decide_at=monday + dt.timedelta(days=4, hours=1),
    )


def closed_scene(council: Council) -> Scene:
    scene = open_scene(council)
    with time_machine.travel(scene.closed_at, tick=False):
        assert close_circulation(scene.circulation.pk, now=scene.closed_at)
    scene.reload()
    return scene


def reply(
    circulation: Circulation,
    user: User,
    kind: str,
    opinion: str = "",
    *,
    meeting_needed: bool | None = None,
) -> None:
    recipient = Recipient.objects.get(circulation=circulation, user=user)
    submit_reply(recipient=recipient, kind=kind, opinion=opinion,
                 meeting_needed=meeting_needed, submitted_by=user)  # fmt: skip


def end_chair_term(council: Council, last_day: dt.date) -> None:
    Membership.objects.filter(committee=council.committee, role=Role.CHAIR).update(
        term_end=last_day
    )


def committee_with_members(name: str, size: int, secretariat: User) -> tuple[Committee, User]:
    """A committee whose `size` sitting members are a chair and size-1 members, with the
    given secretariat. Returns the committee and its chair."""
    from tests.factories import CommitteeFactory

    committee = CommitteeFactory(name=name)
    MembershipFactory(user=secretariat, committee=committee, role=Role.SECRETARIAT)
    chair = UserFactory(full_name=f"{name} 会長")
    MembershipFactory(user=chair, committee=committee, role=Role.CHAIR)
    for _ in range(size - 1):
        MembershipFactory(user=UserFactory(), committee=committee, role=Role.MEMBER)
    return committee, chair
