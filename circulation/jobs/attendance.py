"""Beat's 出欠の督促: run with the rest of the due work.

A session's invitees who sit on the council and have not answered whether they attend get
one reminder, with their links, from Meeting.attendance_reminder_at (09:00 Japan time three
days before; none when the session was scheduled later than that) until the session
starts. Never for a cancelled session. Each is claimed by compare-and-swap on
Meeting.attendance_reminded_version, so two beat runs send it once per version; the
outbox key names the version too.

The tick costs the same whatever the number of councils: one query finds the due
sessions; the work done (per session claimed: the claim, its unanswered invitees, the mail
and the audit entry) is only for sessions actually due.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q, QuerySet

from circulation.mail.meeting import queue_attendance_reminders
from circulation.models import Attendance, Meeting
from portal import audit
from portal.models import User


def due_attendance_reminders(now: dt.datetime) -> QuerySet[Meeting]:
    return Meeting.objects.filter(
        state=Meeting.State.SCHEDULED,
        attendance_reminder_at__lte=now,
        starts_at__gt=now,
    ).filter(
        Q(attendance_reminded_version__isnull=True)
        | Q(attendance_reminded_version__lt=F("version"))
    )


def queue_due_attendance_reminders(now: dt.datetime) -> list[int]:
    """Claim and queue every due 出欠の督促; returns the ids of the sessions reminded."""
    done = []
    for meeting in due_attendance_reminders(now).select_related("committee", "circulation"):
        with transaction.atomic():
            won = (
                due_attendance_reminders(now)
                .filter(pk=meeting.pk, version=meeting.version)
                .update(attendance_reminded_version=meeting.version)
            )
            if not won:
                continue
            people = list(
                User.objects.filter(
                    attendances__meeting=meeting,
                    attendances__answer=Attendance.Answer.UNANSWERED,
                    is_active=True,
                ).order_by("full_name", "pk")
            )
            queued = queue_attendance_reminders(meeting, people, now) if people else 0
            audit.record(
                "meeting.attendance_reminder.queued",
                obj=meeting,
                actor_label="beat",
                data={
                    "meeting": meeting.pk,
                    "version": meeting.version,
                    "to": [person.email for person in people],
                    "queued": queued,
                },
            )
        done.append(meeting.pk)
    return done
