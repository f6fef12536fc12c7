"""The meeting as an iCalendar file (.ics) that a member's calendar program can take in.

One event per meeting with a UID that never changes, so a calendar that already holds the
meeting replaces it when a newer file arrives: SEQUENCE is 0 for the first version and one
more for each change or cancellation; METHOD is REQUEST while the meeting stands and CANCEL
(STATUS:CANCELLED) once it is cancelled. Times are written in UTC ("Z"), which every
calendar converts to the reader's zone (Japan time on the council's computers).

The file names the person who downloads it as the attendee with RSVP=FALSE: no calendar
should answer on their behalf (the portal reads no such answers), and the secretariat
(DEFAULT_FROM_EMAIL) as the organizer, which METHOD:REQUEST requires.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from circulation.mail.meeting_urls import detail_url
from circulation.mail.message_ids import mail_domain
from circulation.models import Meeting
from portal.models import User

PRODID = "-//Kairan//Kairan meetings//JA"


def meeting_uid(meeting: Meeting) -> str:
    """Stable for the meeting's whole life, and unique beyond this site (RFC 5545 3.8.4.7)."""
    return f"meeting-{meeting.uid}@{mail_domain()}"


def meeting_calendar(meeting: Meeting, *, attendee: User | None = None) -> bytes:
    """The .ics of the meeting's current version, in the active language."""
    committee = meeting.committee
    cancelled = meeting.is_cancelled
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    # When this version was made: the same file for the same version, whoever downloads it.
    event.add("dtstamp", meeting.version_at.astimezone(dt.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(dt.UTC))
    event.add("dtend", meeting.ends_at.astimezone(dt.UTC))
    title = meeting.circulation.title if meeting.circulation_id else meeting.label
    event.add("summary", _("%(committee)s 会議(%(title)s)") % {
        "committee": committee.name, "title": title,
    })  # fmt: skip
    event.add("location", meeting.place or meeting.web_url)
    if meeting.web_url:
        event.add("url", meeting.web_url)
    event.add("description", _description(meeting))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _address(_organizer_email(), _("%(committee)s 事務局") % {
        "committee": committee.name,
    }))  # fmt: skip
    if attendee is not None:
        person = _address(attendee.email, attendee.full_name)
        person.params["role"] = "REQ-PARTICIPANT"
        person.params["partstat"] = "NEEDS-ACTION"
        person.params["rsvp"] = "FALSE"
        event.add("attendee", person)
    calendar.add_component(event)
    return calendar.to_ical()


def _description(meeting: Meeting) -> str:
    lines = []
    if meeting.is_cancelled:
        lines += [_("この会議は中止されました。"), _("理由") + ": " + meeting.cancel_reason, ""]
    if meeting.place:
        lines.append(_("会場") + ": " + meeting.place)
    if meeting.web_url:
        lines.append(_("ウェブ会議") + ": " + meeting.web_url)
    if meeting.note:
        lines += ["", meeting.note]
    lines += ["", _("会議のページ") + ": " + detail_url(meeting)]
    return "\n".join(lines)


def _organizer_email() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"kairan@{mail_domain()}"


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = name
    return address
