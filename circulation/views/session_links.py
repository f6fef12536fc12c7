"""The one-click attendance links of a session's invitation (出席・欠席・ウェブ参加).

A GET never changes anything (mail scanners prefetch links): it opens a confirmation page
with one button; only its POST records the answer. The link stands for the invitee, so it
works without logging in; opened by someone logged in as another person it is refused.
Every refusal is logged.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from circulation.mail.attendance_tokens import AttendanceTokenRefused, read_attendance_token
from circulation.models import Attendance
from circulation.services.attendance import AttendanceRefused, answer_attendance, answer_refusal
from portal import audit

TEMPLATE = "circulation/session/answer_link.html"


def attendance_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        attendance, answer = read_attendance_token(token)
    except AttendanceTokenRefused:
        return _refused(request, "invalid", None, 404)
    if request.user.is_authenticated and request.user.pk != attendance.user_id:
        return _refused(request, "other_user", attendance, 403)
    meeting = attendance.meeting
    context = {
        "meeting": meeting,
        "committee": meeting.committee,
        "attendance": attendance,
        "answer": answer,
        "answer_label": Attendance.Answer(answer).label,
    }
    if request.method != "POST":  # GET or HEAD: show, change nothing
        refusal = answer_refusal(attendance, timezone.now())
        context["refusal"] = refusal
        return render(request, TEMPLATE, context, status=_status(refusal))
    try:
        answer_attendance(meeting.pk, by=attendance.user, answer=answer, channel="link")
    except AttendanceRefused as refused:
        context["refusal"] = refused
        return render(request, TEMPLATE, context, status=_status(refused))
    context["done"] = True
    return render(request, TEMPLATE, context)


def _status(refusal: AttendanceRefused | None) -> int:
    if refusal is None:
        return 200
    return 403 if refusal.code == "term_ended" else 409


def _refused(
    request: HttpRequest, reason: str, attendance: Attendance | None, status: int
) -> HttpResponse:
    audit.record(
        "session.attendance.link_refused",
        actor=request.user if request.user.is_authenticated else None,
        obj=attendance.meeting if attendance else None,
        object_type="circulation.attendance",
        object_id=str(attendance.pk) if attendance else "",
        result="refused",
        data={"reason": reason, "method": request.method or ""},
    )
    return render(request, TEMPLATE, {"link_refused": reason}, status=status)
