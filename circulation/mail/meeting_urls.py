"""Where a meeting's mails and calendar file point: a circulation's meeting has its page
under the circulation; a session scheduled on its own (会議) has its own page."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from circulation.models import Meeting


def meeting_url(circulation_id: int) -> str:
    return settings.SITE_URL + reverse("meeting_detail", args=[circulation_id])


def calendar_url(circulation_id: int) -> str:
    return settings.SITE_URL + reverse("meeting_ics", args=[circulation_id])


def page_url(meeting: Meeting) -> str:
    """The page every invitee opens: the session page (agenda, materials, attendance)."""
    return settings.SITE_URL + reverse("session_detail", args=[meeting.pk])


def detail_url(meeting: Meeting) -> str:
    """The meeting's own page: the circulation's meeting page, or the session page."""
    if meeting.circulation_id:
        return meeting_url(meeting.circulation_id)
    return page_url(meeting)


def ics_url(meeting: Meeting) -> str:
    if meeting.circulation_id:
        return calendar_url(meeting.circulation_id)
    return settings.SITE_URL + reverse("session_ics", args=[meeting.pk])
