"""Signed links of the attendance answer (出席・欠席・ウェブ参加) in a session's mails.

A link names one invitee's attendance row and one answer, signed with SECRET_KEY (Django's
signing, its own salt). It opens a confirmation page (a GET changes nothing: mail scanners
prefetch links); the page's button records the answer. It works until the session starts
(the service checks the time, so a change of time moves the limit too) and in any case for
MAX_AGE; a link of a cancelled session is refused by the service as well.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from circulation.models import Attendance, Meeting
from portal.models import User

_SALT = "kairan.sessions.attendance.v1"
MAX_AGE = dt.timedelta(days=400)
ANSWERS = (Attendance.Answer.ATTEND, Attendance.Answer.ABSENT, Attendance.Answer.WEB)


class AttendanceTokenRefused(Exception):
    """The link is forged, mistyped or too old."""


def make_attendance_token(attendance_id: int, answer: str) -> str:
    return signing.dumps([attendance_id, answer], salt=_SALT, compress=True)


def read_attendance_token(token: str) -> tuple[Attendance, str]:
    """The attendance row (with its meeting, committee and user) and the answer."""
    try:
        attendance_id, answer = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        raise AttendanceTokenRefused from None
    if answer not in ANSWERS:
        raise AttendanceTokenRefused
    found = (
        Attendance.objects.select_related("meeting__committee", "user")
        .filter(pk=attendance_id)
        .first()
    )
    if found is None:
        raise AttendanceTokenRefused
    return found, answer


def attendance_links(attendance_id: int) -> dict[str, str]:
    """The three links of one invitee, by answer."""
    return {
        answer: settings.SITE_URL
        + reverse("attendance_link", args=[make_attendance_token(attendance_id, answer)])
        for answer in ANSWERS
    }


def attendance_links_for(meeting: Meeting, people: list[User]) -> dict[int, dict[str, str]]:
    """Each invitee's links, by user id, for those who have an attendance row (the sitting
    members; the secretariat is invited but does not answer). One query."""
    rows = Attendance.objects.filter(meeting=meeting, user__in=people).values_list("pk", "user_id")
    return {user_id: attendance_links(pk) for pk, user_id in rows}
