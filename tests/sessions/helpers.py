"""A council's first session of a new term, scheduled by the secretariat on its own.

Moments are fixed weekdays after today (the personas' terms are counted from today): the
secretariat schedules on a Monday at 09:00, the session is on the Friday of the week after,
14:00〜16:00 Japan time. The attendance reminder is due on that Tuesday at 09:00 (three
days before), the day-before reminder on the Thursday.
"""

from __future__ import annotations

import datetime as dt

from circulation.models import Meeting, OutboxMessage
from circulation.models.meeting import MeetingDetails
from circulation.services.sessions import AgendaLine, schedule_session
from tests.conftest import Council
from tests.decision.helpers import next_monday

PLACE = "市役所本庁舎 5階 第1会議室"
TITLE = "住民基本台帳ネットワークシステム管理運用審議会"
AGENDA = ["委員紹介", "会長及び職務代理者の選任", "運用状況の報告", "その他"]
# Everyone on the council today who sits, and the secretariat: not the former member, the
# outsider, or the other council's secretariat.
INVITED = sorted([
    "yamada@example.jp", "suzuki@example.jp", "tanaka@example.jp", "takahashi@example.jp",
    "ito@example.jp", "sato@city.example.jp",
])  # fmt: skip
ANSWERING = sorted(set(INVITED) - {"sato@city.example.jp"})


class Moments:
    def __init__(self) -> None:
        self.scheduled_at = next_monday()  # Monday 09:00 JST
        self.starts_at = (self.scheduled_at + dt.timedelta(days=11)).replace(hour=14)  # Friday
        self.ends_at = self.starts_at.replace(hour=16)
        self.attendance_reminder_at = (self.scheduled_at + dt.timedelta(days=8)).replace(hour=9)


def details(moments: Moments, **changes: object) -> MeetingDetails:
    base = MeetingDetails(starts_at=moments.starts_at, ends_at=moments.ends_at, place=PLACE)
    return MeetingDetails(**{**base.__dict__, **changes})


def schedule_first(council: Council, moments: Moments, **changes: object) -> Meeting:
    return schedule_session(
        council.committee.pk,
        by=council.secretariat,
        details=details(moments, **changes),
        number=1,
        title=TITLE,
        agenda=[AgendaLine(text) for text in AGENDA],
    )


def mails(purpose: str, **filters: object) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(purpose=purpose, **filters).order_by("to_email"))


def addresses(purpose: str, **filters: object) -> list[str]:
    return [mail.to_email for mail in mails(purpose, **filters)]
