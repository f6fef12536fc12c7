"""Mail of the meeting (会議): the invitation (会議の開催通知), the notice of change, the
cancellation, the day-before reminder (前日の案内) and the minutes' publication.

Each goes to the invitees of the moment: every recipient of the circulation who still sits
on the committee, the chair, the acting chair and the secretariat, each once. Every row is
keyed on the meeting's version (`v3`) or the minutes' version, so a change sends one new
notice per person and a repeated call (a retried request, a second beat run) none: the
outbox's unique key holds. The mails link the meeting's page and its calendar file (.ics),
both behind the login; the file is not attached (see docs/architecture.md, "Meetings").
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from circulation.mail.outbox import Mail, queue_mails
from circulation.models import Meeting, MeetingMinutes, OutboxMessage
from portal.models import SITTING_ROLES, Membership, Role, User

if TYPE_CHECKING:
    from circulation.models import Circulation
    from circulation.models.meeting import MeetingDetails

INVITATION = "meeting.invitation"
CHANGED = "meeting.changed"
CANCELLED = "meeting.cancelled"
REMINDER = "meeting.reminder"
MINUTES = "meeting.minutes"
# A reply to any of these is about the meeting, not the circulation (inbound/matching.py).
PURPOSES = (INVITATION, CHANGED, CANCELLED, REMINDER, MINUTES)

_TEMPLATES = {
    INVITATION: "meeting_invitation",
    CHANGED: "meeting_changed",
    CANCELLED: "meeting_cancelled",
    REMINDER: "meeting_reminder",
}


def meeting_url(circulation_id: int) -> str:
    return settings.SITE_URL + reverse("meeting_detail", args=[circulation_id])


def calendar_url(circulation_id: int) -> str:
    return settings.SITE_URL + reverse("meeting_ics", args=[circulation_id])


def invitees(circulation: Circulation, now: dt.datetime) -> list[User]:
    """Who is told about the meeting today: the recipients whose seat on the committee
    covers today, then the chair, the acting chair and the secretariat; active people
    only, each once, in name order."""
    day = timezone.localdate(now)
    seats = list(
        Membership.objects.on(day)
        .filter(committee_id=circulation.committee_id, user__is_active=True)
        .select_related("user")
    )
    sitting = {seat.user_id for seat in seats if seat.role in SITTING_ROLES}
    leads = (Role.CHAIR, Role.ACTING_CHAIR, Role.SECRETARIAT)
    people = {seat.user_id: seat.user for seat in seats if seat.role in leads}
    for recipient in circulation.recipients.filter(user_id__in=sitting).select_related("user"):
        people.setdefault(recipient.user_id, recipient.user)
    return sorted(people.values(), key=lambda user: (user.full_name, user.pk))


def _mail(
    meeting: Meeting, person: User, purpose: str, template: str, key: str, **context: Any
) -> Mail:
    circulation = meeting.circulation
    return Mail(
        purpose=purpose,
        to=person,
        template=template,
        context={
            "meeting": meeting,
            "circulation": circulation,
            "committee": circulation.committee,
            "url": meeting_url(circulation.pk),
            "calendar_url": calendar_url(circulation.pk),
            **context,
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version,
        key=key,
    )


def version_key(meeting: Meeting) -> str:
    return f"v{meeting.version}"


def queue_meeting_notices(
    meeting: Meeting,
    purpose: str,
    *,
    now: dt.datetime,
    previous: MeetingDetails | None = None,
    reason: str = "",
) -> list[User]:
    """The invitation, the notice of change (with `previous`) or the cancellation (with
    `reason`) of the meeting's current version, to every invitee. Returns who was told."""
    people = invitees(meeting.circulation, now)
    changed = {}
    if previous is not None:
        changed = {
            "time": (previous.starts_at, previous.ends_at) != (meeting.starts_at, meeting.ends_at),
            "place": previous.place != meeting.place,
            "web_url": previous.web_url != meeting.web_url,
            "note": previous.note != meeting.note,
        }
    template = _TEMPLATES[purpose]
    queue_mails(
        [
            _mail(
                meeting,
                person,
                purpose,
                template,
                version_key(meeting),
                previous=previous,
                changed=changed,
                reason=reason,
            )
            for person in people
        ]
    )
    return people


def queue_meeting_reminders(meeting: Meeting, now: dt.datetime) -> list[User]:
    """前日の案内 of the meeting's current version to every invitee (once each)."""
    people = invitees(meeting.circulation, now)
    queue_mails(
        [
            _mail(meeting, person, REMINDER, _TEMPLATES[REMINDER], version_key(meeting))
            for person in people
        ]
    )
    return people


def queue_minutes_published(
    meeting: Meeting, minutes: MeetingMinutes, now: dt.datetime
) -> list[User]:
    """会議録の公開: a link to the minutes, to every invitee."""
    people = invitees(meeting.circulation, now)
    minutes_url = settings.SITE_URL + reverse(
        "meeting_minutes_download", args=[meeting.circulation_id, minutes.pk]
    )
    queue_mails(
        [
            _mail(
                meeting,
                person,
                MINUTES,
                "minutes_published",
                f"minutes-v{minutes.version}",
                minutes=minutes,
                minutes_url=minutes_url,
            )
            for person in people
        ]
    )
    return people


def cancel_reason(message: OutboxMessage) -> str:
    """Why a claimed 前日の案内 is no longer wanted ('' when it should go out): the meeting
    was cancelled or changed while it waited, or has begun."""
    if message.purpose != REMINDER or not message.circulation_id:
        return ""
    meeting = (
        Meeting.objects.filter(circulation_id=message.circulation_id)
        .values("state", "version", "starts_at")
        .first()
    )
    if meeting is None or meeting["state"] != Meeting.State.SCHEDULED:
        return "meeting reminder cancelled: the meeting was cancelled"
    if message.key != f"v{meeting['version']}":
        return "meeting reminder cancelled: the meeting was changed"
    if meeting["starts_at"] <= timezone.now():
        return "meeting reminder cancelled: the meeting has begun"
    return ""
