"""The sessions' (会議) rows of the permission matrix and the objects they point at.

Each side's council gets, through the real services, a session scheduled on its own for
next week, with a material; the side's member answers by the link in their invitation.
Those who sit on the council see it and answer; the implementing body is on the council
but not invited (403); the secretariat manages it; anybody else gets 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from circulation.mail.attendance_tokens import make_attendance_token
from circulation.models import Attendance, Meeting, SessionMaterial
from circulation.models.meeting import MeetingDetails
from circulation.services.sessions import AgendaLine, add_session_material, schedule_session
from circulation.uploads.checks import check_upload
from tests.circulation.helpers import PDF_BYTES
from tests.security.urlmatrix import PERSONAS, Expectation, expect


@dataclass
class SessionObjects:
    meeting: Meeting  # next week, on its own
    material: SessionMaterial
    token: str  # the side's member's 「出席」 link


def build_session(side: Any) -> SessionObjects:
    starts = timezone.now() + dt.timedelta(days=8)
    meeting = schedule_session(
        side.committee.pk,
        by=side.secretariat,
        details=MeetingDetails(starts, starts + dt.timedelta(hours=2), place="第1会議室"),
        number=1,
        title="第1回",
        agenda=[AgendaLine("委員紹介")],
    )
    upload = check_upload(ContentFile(PDF_BYTES, name="資料1.pdf"))
    material = add_session_material(meeting.pk, by=side.secretariat, upload=upload, title="次第")
    attendance = Attendance.objects.get(meeting=meeting, user=side.member)
    return SessionObjects(meeting, material, make_attendance_token(attendance.pk, "attend"))


def _council(**answers: Any) -> Expectation:
    """Those who sit see it; the implementing body 403; anybody else 404."""
    base: dict[str, Any] = {
        "secretariat": (200, 404), "chair": (200, 404), "acting_chair": (200, 404),
        "member": (200, 404), "late_member": (200, 404), "implementing_body": (403, 404),
        "other_body": (403, 404), "ended_member": (404, 404), "former_member": (404, 404),
        "outsider": (404, 404), "other_secretariat": (404, 200),
    }  # fmt: skip
    base.update(answers)
    return expect(**base)


def _secretariat(ok: int, method: str = "get") -> Expectation:
    others = {"chair": (403, 404), "acting_chair": (403, 404), "member": (403, 404),
              "late_member": (403, 404)}  # fmt: skip
    return expect(method, **{**_council(**others).answers, "secretariat": (ok, 404),
                             "other_secretariat": (404, ok), "anonymous": 302})  # fmt: skip


_ANSWER = {"secretariat": (403, 404), "chair": (400, 404), "acting_chair": (400, 404),
           "member": (400, 404), "late_member": (400, 404),
           "other_secretariat": (404, 403)}  # fmt: skip
_TOKEN: dict[str, Any] = dict.fromkeys(PERSONAS[1:], (403, 403))
_TOKEN.update({"anonymous": (200, 200), "member": (200, 403)})

SESSION_EXPECTED: dict[str, Expectation] = {
    "session_list": _council(),
    "session_schedule": _secretariat(200),
    "session_detail": _council(),
    "session_ics": _council(),
    "session_material_download": _council(),
    "session_answer": expect("post", **{**_council().answers, **_ANSWER}),
    "session_agenda": _secretariat(200),
    "session_material_add": _secretariat(200),
    "session_record": _secretariat(200),  # the form; recording is refused until the start
    "session_election": _secretariat(409),  # not started yet: the page says so
    "session_change": _secretariat(200),
    "session_cancel": _secretariat(200),
    "attendance_link": expect(refusal="session.attendance.link_refused", **_TOKEN),
}


def _m(side: Any) -> int:
    return side.session.meeting.pk


SESSION_FILLERS: dict[str, dict[str, Any]] = {
    **{
        name: {"meeting_id": _m}
        for name in SESSION_EXPECTED
        if name not in ("session_list", "session_schedule", "attendance_link")
    },
    "session_material_download": {
        "meeting_id": _m,
        "material_id": lambda side: side.session.material.pk,
    },
    "attendance_link": {"token": lambda side: side.session.token},
}
