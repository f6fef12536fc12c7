"""Mail of the meeting (会議): the invitation (会議の開催通知), the notice of change, the
cancellation, the day-before reminder (前日の案内) and the minutes' publication.

Each goes to the invitees of the moment: every recipient of the circulation who still sits
on the committee, the chair, the acting chair and the secretariat, each once. Every row is
keyed on the meeting's version (`v3`) or the minutes' version, so a change sends one new
notice per person and a repeated call (a retried request, a second beat run) none: the
outbox's unique key holds. The mails link the meeting's page and its calendar file (.ics),
both behind the login, and the invitation, the change and the cancellation carry the file as
an attachment too (METHOD:REQUEST, or CANCEL), rendered when queued in the person's language.

A session scheduled on its own (no circulation) invites everyone who sits on the council
and the secretariat; its rows are keyed 's<meeting id>-v<version>' (they have no
circulation to tell them apart) and its mails have templates of their own (session_*).
The invitation carries each sitting invitee's attendance links (出席・欠席・ウェブ参加).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from circulation.mail.attendance_tokens import attendance_links_for
from circulation.mail.ical import meeting_calendar
from circulation.mail.meeting_urls import detail_url, ics_url, page_url
from circulation.mail.outbox import Mail, queue_mails
from circulation.models import Attendance, Meeting, MeetingMinutes, OutboxMessage
from portal.models import SITTING_ROLES, Membership, Role, User

if TYPE_CHECKING:
    from circulation.models import Circulation
    from circulation.models.meeting import MeetingDetails

INVITATION = "meeting.invitation"
CHANGED = "meeting.changed"
CANCELLED = "meeting.cancelled"
REMINDER = "meeting.reminder"
MINUTES = "meeting.minutes"
ATTENDANCE_REMINDER = "meeting.attendance_reminder"
# A reply to any of these is about the meeting, not the circulation (inbound/matching.py).
PURPOSES = (INVITATION, CHANGED, CANCELLED, REMINDER, MINUTES, ATTENDANCE_REMINDER)

_TEMPLATES = {
    INVITATION: "meeting_invitation",
    CHANGED: "meeting_changed",
    CANCELLED: "meeting_cancelled",
    REMINDER: "meeting_reminder",
}


def meeting_invitees(meeting: Meeting, now: dt.datetime) -> list[User]:
    """Who is told about the meeting today: a circulation's meeting as `invitees`; a
    session on its own: everyone who sits on the council and the secretariat."""
    if meeting.circulation_id:
        return invitees(meeting.circulation, now)
    seats = (
        Membership.objects.on(timezone.localdate(now))
        .filter(
            committee_id=meeting.committee_id,
            user__is_active=True,
            role__in=(*SITTING_ROLES, Role.SECRETARIAT),
        )
        .select_related("user")
    )
    people = {seat.user_id: seat.user for seat in seats}
    return sorted(people.values(), key=lambda user: (user.full_name, user.pk))


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
    meeting: Meeting,
    person: User,
    purpose: str,
    template: str,
    key: str,
    *,
    calendar: bool = False,
    **context: Any,
) -> Mail:
    circulation = meeting.circulation
    if circulation is None:
        template = template.replace("meeting_", "session_", 1)
    return Mail(
        purpose=purpose,
        to=person,
        template=template,
        context={
            "meeting": meeting,
            "circulation": circulation,
            "committee": meeting.committee,
            "url": detail_url(meeting),
            "session_url": page_url(meeting),
            "calendar_url": ics_url(meeting),
            **context,
        },
        circulation=circulation,
        deadline_version=circulation.deadline_version if circulation else 0,
        key=key,
        calendar=_calendar(meeting, person) if calendar else "",
    )


def _calendar(meeting: Meeting, person: User) -> str:
    with translation.override(person.language):
        return meeting_calendar(meeting, attendee=person).decode()


def version_key(meeting: Meeting) -> str:
    if meeting.circulation_id:
        return f"v{meeting.version}"
    return f"s{meeting.pk}-v{meeting.version}"


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
    people = meeting_invitees(meeting, now)
    links = attendance_links_for(meeting, people) if purpose == INVITATION else {}
    agenda = [] if meeting.circulation_id else list(meeting.agenda_items.order_by("position"))
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
                calendar=True,
                previous=previous,
                changed=changed,
                reason=reason,
                attendance_links=links.get(person.pk),
                agenda=agenda,
            )
            for person in people
        ]
    )
    return people


def queue_meeting_reminders(meeting: Meeting, now: dt.datetime) -> list[User]:
    """前日の案内 of the meeting's current version to every invitee (once each)."""
    people = meeting_invitees(meeting, now)
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
    people = meeting_invitees(meeting, now)
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


def queue_attendance_reminders(meeting: Meeting, people: list[User], now: dt.datetime) -> int:
    """出欠の督促 to the invitees who have not answered (with their links), once per
    meeting version (the key)."""
    links = attendance_links_for(meeting, people)
    return queue_mails(
        [
            _mail(
                meeting,
                person,
                ATTENDANCE_REMINDER,
                "attendance_reminder",
                version_key(meeting),
                attendance_links=links.get(person.pk),
            )
            for person in people
            if person.pk in links
        ]
    )


def session_id_of_mail(message: OutboxMessage) -> int | None:
    """The id of the session on its own a mail of this module was about (its key
    's<id>-v<n>'); None for a circulation's meeting or another key."""
    head = message.key.partition("-")[0]
    if message.circulation_id or not head.startswith("s") or not head[1:].isdigit():
        return None
    return int(head[1:])


def session_of_mail(message: OutboxMessage) -> Meeting | None:
    """`session_id_of_mail`'s session, with its committee."""
    pk = session_id_of_mail(message)
    return Meeting.objects.select_related("committee").filter(pk=pk).first() if pk else None


def cancel_reason(message: OutboxMessage) -> str:
    """Why a claimed 前日の案内 or 出欠の督促 is no longer wanted ('' when it should go out):
    the meeting was cancelled or changed while it waited, or has begun; for the 督促, the
    member answered meanwhile."""
    if message.purpose not in (REMINDER, ATTENDANCE_REMINDER):
        return ""
    what = "meeting reminder" if message.purpose == REMINDER else "attendance reminder"
    if message.circulation_id:
        found = Meeting.objects.filter(circulation_id=message.circulation_id)
        prefix = ""
    else:  # a session on its own: 's<id>-v<version>'
        session_id = session_id_of_mail(message)
        if session_id is None:
            return ""
        found = Meeting.objects.filter(pk=session_id)
        prefix = f"s{session_id}-"
    meeting = found.values("pk", "state", "version", "starts_at").first()
    if meeting is None or meeting["state"] != Meeting.State.SCHEDULED:
        return f"{what} cancelled: the meeting was cancelled"
    if message.key != f"{prefix}v{meeting['version']}":
        return f"{what} cancelled: the meeting was changed"
    if meeting["starts_at"] <= timezone.now():
        return f"{what} cancelled: the meeting has begun"
    if message.purpose == ATTENDANCE_REMINDER:
        answered = Attendance.objects.filter(meeting_id=meeting["pk"], user_id=message.to_user_id)
        if answered.exclude(answer=Attendance.Answer.UNANSWERED).exists():
            return f"{what} cancelled: the member answered before it went out"
    return ""
