"""The meeting (会議) that follows a decision to convene, and its minutes (会議録).

Kept apart from models.py (which holds the circulation itself) to keep each module short;
models.py imports these, so they belong to the `circulation` app like the rest. Foreign keys
name "circulation.Circulation" by string so that this module needs nothing from models.py.

The meeting is a phase of the circulation, not a state of its own: the circulation stays
決定済み (decided) while its meeting is scheduled and held, and becomes 完了 (archived) when
the minutes are published (services/minutes.py) or when the secretariat archives it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import User

if TYPE_CHECKING:
    from circulation.models.circulation import Circulation
    from portal.models import Committee


class Meeting(models.Model):
    """A session (会議) of a council: scheduled by the secretariat on its own (第N回) or
    after a circulation decided 開催する (at most one per circulation: the one-to-one key).
    A cancelled meeting may be scheduled again: the same row, a new version."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("開催予定")
        CANCELLED = "cancelled", _("中止")

    committee = models.ForeignKey(
        "portal.Committee", on_delete=models.PROTECT, related_name="meetings"
    )
    # Empty for a session the secretariat scheduled on its own.
    circulation = models.OneToOneField(
        "circulation.Circulation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting",
    )
    number = models.PositiveIntegerField(_("回"), null=True, blank=True)  # 第N回
    title = models.CharField(_("会議名"), max_length=200, blank=True)
    observers = models.PositiveIntegerField(_("傍聴者数"), null=True, blank=True)
    # 出欠の督促 to invitees who have not answered: when it is due (stored, so that beat
    # finds it with one indexed query) and the version it was queued for (compare-and-swap).
    attendance_reminder_at = models.DateTimeField(null=True, blank=True)
    attendance_reminded_version = models.PositiveIntegerField(null=True, blank=True)
    # When the secretariat recorded who actually attended (the to-do asks until then).
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    # The iCalendar UID: stable for the life of the meeting, so that a calendar replaces the
    # event it already has when a change or a cancellation comes.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    starts_at = models.DateTimeField(_("開始"))  # aware, stored in UTC, shown in Japan time
    ends_at = models.DateTimeField(_("終了"))
    place = models.CharField(_("会場"), max_length=200, blank=True)
    web_url = models.URLField(_("ウェブ会議のURL"), max_length=500, blank=True)
    note = models.TextField(_("案内"), blank=True)  # markdown, sanitised on display
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    # Bumped by every change the invitees are told of (a change, a cancellation, scheduling
    # again): the outbox key of each notice and the calendar's SEQUENCE (version - 1).
    version = models.PositiveIntegerField(default=1)
    version_at = models.DateTimeField(default=timezone.now)  # when this version was made
    # When this version's 前日の案内 is due (09:00 Japan time the day before). Stored so that
    # beat finds due reminders with one indexed query on any database.
    reminder_at = models.DateTimeField()
    # The version whose reminder was queued; set by compare-and-swap, so at most one per
    # version whatever the number of beat runs.
    reminded_version = models.PositiveIntegerField(null=True, blank=True)
    cancel_reason = models.TextField(_("中止の理由"), blank=True)
    scheduled_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    published_minutes = models.OneToOneField(
        "circulation.MeetingMinutes",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    minutes_published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["state", "reminder_at"]),
            models.Index(fields=["state", "attendance_reminder_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=~Q(place="", web_url=""), name="meeting_has_a_place_or_a_url"
            ),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)  # Japan time, as everyone reads it
        return f"{self.committee_id}/{self.pk}: {start:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.state == self.State.CANCELLED

    @property
    def label(self) -> str:
        """第N回 and the title, as the council's pages name a session."""
        number = _("第%(number)d回") % {"number": self.number} if self.number else ""
        return " ".join(part for part in (str(number), self.title) if part) or str(_("会議"))

    @property
    def sequence(self) -> int:
        """The iCalendar SEQUENCE: 0 for the first version, one more for each change."""
        return self.version - 1

    def has_started(self, now: timezone.datetime) -> bool:
        return now >= self.starts_at


def minutes_upload_path(instance: MeetingMinutes, filename: str) -> str:
    # Server-generated names only, like materials; the original name is kept in the row.
    return f"minutes/{instance.meeting.committee_id}/{uuid.uuid4().hex}"


class MeetingMinutes(models.Model):
    """One uploaded file of the minutes (会議録). Uploading again before publishing adds a
    version (nothing is overwritten); publishing names the version members see."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="minutes_versions")
    version = models.PositiveSmallIntegerField()
    title = models.CharField(_("会議録の名称"), max_length=200)
    file = models.FileField(_("会議録ファイル"), upload_to=minutes_upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "version"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="one_minutes_version")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def committee(self) -> Committee:
        """The audit log finds the committee through this (portal.audit.committee_of)."""
        return self.meeting.committee

    @property
    def circulation(self) -> Circulation | None:
        return self.meeting.circulation


@dataclass(frozen=True)
class MeetingDetails:
    """When and where, as the secretariat gives them (times aware)."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = ""
    web_url: str = ""
    note: str = ""

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingDetails:
        return cls(**{f.name: getattr(meeting, f.name) for f in fields(cls)})
