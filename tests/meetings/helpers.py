"""A circulation the chair decided to convene, walked through the real services, and the
meeting the secretariat schedules for it.

Moments are fixed weekdays a week or two after today (the personas' terms are counted from
today): the chair decides on a Friday at 10:00, the meeting is on the Thursday after, 14:00〜
16:00 Japan time, so 「(木) 14:00〜16:00」 can be asserted whatever day the suite runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import time_machine

from circulation.models import Circulation, Meeting, OutboxMessage
from circulation.services.decisions import decide
from circulation.services.meetings import MeetingDetails, schedule_meeting
from tests.conftest import Council
from tests.decision.helpers import JST, REASON, WEEKDAYS, closed_scene

PLACE = "市役所本庁舎 5階 第1会議室"
WEB_URL = "https://meet.example.jp/j/123456?pwd=abc"
NOTE = "資料は当日配布します。\n\n- 筆記用具をお持ちください"

# Everyone told of the meeting: the recipients who still sit (田中, 高橋, 伊藤, the chair and
# the acting chair) and the secretariat. Not the former member, not the outsider.
INVITED = sorted([
    "yamada@example.jp", "suzuki@example.jp", "tanaka@example.jp", "takahashi@example.jp",
    "ito@example.jp", "sato@city.example.jp",
])  # fmt: skip


@dataclass
class Convened:
    circulation: Circulation
    decided_at: dt.datetime  # Friday 10:00 JST
    starts_at: dt.datetime  # the Thursday after, 14:00 JST
    ends_at: dt.datetime  # 16:00 JST

    def reload(self) -> Circulation:
        self.circulation.refresh_from_db()
        return self.circulation

    def meeting(self) -> Meeting:
        return Meeting.objects.get(circulation=self.circulation)


def convened_scene(council: Council, *, convene: bool = True) -> Convened:
    """Closed Thursday 17:00, decided by the chair on Friday 10:00."""
    scene = closed_scene(council)
    with time_machine.travel(scene.decide_at, tick=False):
        decide(scene.circulation.pk, convene=convene, reason=REASON, by=council.chair)
    starts = (scene.decide_at + dt.timedelta(days=6)).replace(hour=14, minute=0)
    return Convened(
        circulation=scene.reload(),
        decided_at=scene.decide_at,
        starts_at=starts,
        ends_at=starts.replace(hour=16),
    )


def details(scene: Convened, **changes: object) -> MeetingDetails:
    base = MeetingDetails(
        starts_at=scene.starts_at, ends_at=scene.ends_at, place=PLACE, web_url=WEB_URL, note=NOTE
    )
    return MeetingDetails(**{**base.__dict__, **changes})


def schedule(council: Council, scene: Convened, **changes: object) -> Meeting:
    return schedule_meeting(
        scene.circulation.pk, by=council.secretariat, details=details(scene, **changes)
    )


def mails(purpose: str, **filters: object) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(purpose=purpose, **filters).order_by("to_email"))


def addresses(purpose: str, **filters: object) -> list[str]:
    return [mail.to_email for mail in mails(purpose, **filters)]


def meeting_label(starts: dt.datetime, ends: dt.datetime) -> str:
    """How Kairan writes the meeting's time: 2026年12月3日(木) 14:00〜16:00."""
    s, e = starts.astimezone(JST), ends.astimezone(JST)
    return f"{s.year}年{s.month}月{s.day}日({WEEKDAYS[s.weekday()]}) {s:%H:%M}〜{e:%H:%M}"
