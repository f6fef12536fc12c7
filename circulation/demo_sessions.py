"""Demo sessions (会議) for `make demo`, on the demo council (住民基本台帳ネットワークシステム
管理運用審議会), after the first seed (the city's public record of 令和3年度第1回):

- 第1回, held some weeks ago: the agenda of the seed (開会あいさつ … その他), its attendance
  recorded with two observers, and the election of the chair and the acting chair (the
  roles they hold in the demo). Written as rows, since it is history: no mail goes out;
- 第2回, next week: scheduled through the service, so the invitations (with the calendar
  file and the attendance links) are in the demo's mail; one member has answered.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

from circulation.models import AgendaItem, Attendance, Election, Meeting
from circulation.models.meeting import MeetingDetails
from circulation.services.attendance import answer_attendance, ensure_attendances
from circulation.services.meetings import reminder_moment
from circulation.services.sessions import AgendaLine, schedule_session
from portal.models import Membership, Role

if TYPE_CHECKING:
    from portal.demo import DemoCouncil

JAPAN = ZoneInfo("Asia/Tokyo")
FIRST_AGENDA = [
    "開会あいさつ",
    "委員紹介・事務局紹介",
    "会長選任",
    "住民基本台帳ネットワークシステムの概要",
    "その他(次回審議会の開催等)",
]
SECOND_AGENDA = ["前回審議会開催後の住基ネットに係る監査等の報告", "その他"]
PLACE = "市民生活部長室ほか:WEB会議(webex)"


def _at_two_pm(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(14), tzinfo=JAPAN).astimezone(dt.UTC)


def load_demo_sessions(council: DemoCouncil) -> list[Meeting]:
    committee, secretariat, members = council.committee, council.secretariat, council.members
    chair, acting_chair = council.chair, council.acting_chair
    today = timezone.localdate()
    # The chair's seat began with the term (portal/demo.py seats everyone for it).
    term_start = (
        Membership.objects.filter(committee=committee, user=chair).earliest("term_start").term_start
    )
    held_on = max(term_start + dt.timedelta(days=7), today - dt.timedelta(days=60))
    starts = _at_two_pm(held_on)
    held = Meeting.objects.create(
        committee=committee, number=1, title=f"令和{today.year - 2018}年度 第1回 {committee.name}",
        starts_at=starts, ends_at=starts + dt.timedelta(hours=1, minutes=30), place=PLACE,
        reminder_at=reminder_moment(starts), reminded_version=1, scheduled_by=secretariat,
        scheduled_at=starts - dt.timedelta(days=21), updated_by=secretariat, observers=2,
        attendance_recorded_at=starts + dt.timedelta(hours=2),
    )  # fmt: skip
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=held, position=n, text=text)
        for n, text in enumerate(FIRST_AGENDA, start=1)
    )
    ensure_attendances(held, starts - dt.timedelta(days=21))
    absent = members[-1]
    for row in Attendance.objects.filter(meeting=held):
        row.answer = Attendance.Answer.ABSENT if row.user_id == absent.pk else "attend"
        row.answered_at = starts - dt.timedelta(days=10)
        row.attended = row.user_id != absent.pk
        row.save()
    for role, person in ((Role.CHAIR, chair), (Role.ACTING_CHAIR, acting_chair)):
        Election.objects.create(meeting=held, role=role, elected=person, recorded_by=secretariat,
                                recorded_at=starts + dt.timedelta(hours=2))  # fmt: skip
    upcoming_starts = _at_two_pm(today + dt.timedelta(days=10))
    upcoming = schedule_session(
        committee.pk,
        by=secretariat,
        details=MeetingDetails(upcoming_starts, upcoming_starts + dt.timedelta(hours=2), PLACE),
        number=2,
        title=f"令和{today.year - 2018}年度 第2回 {committee.name}",
        agenda=[AgendaLine(text) for text in SECOND_AGENDA],
    )
    answer_attendance(upcoming.pk, by=members[0], answer="web")
    return [held, upcoming]
