"""What a session (会議, the `Meeting` row) holds besides its time and place: the agenda
(議題), the session materials (資料), each invitee's attendance (出欠) and the elections held
at it (会長・職務代理者の選任).

Foreign keys name their models by string so that this module needs nothing from the others.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Role, User


class AgendaItem(models.Model):
    """One item of the agenda (議題1, 議題2 …): free text, or a circulation or a
    consultation of the same council (the service checks the council)."""

    meeting = models.ForeignKey(
        "circulation.Meeting", on_delete=models.CASCADE, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField()  # 1-based: 議題{position}
    text = models.CharField(_("議題"), max_length=300)
    circulation = models.ForeignKey(
        "circulation.Circulation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consultation = models.ForeignKey(
        "circulation.Consultation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="one_agenda_position"),
            models.CheckConstraint(
                condition=Q(circulation__isnull=True) | Q(consultation__isnull=True),
                name="agenda_item_links_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"議題{self.position} {self.text}"


def session_material_path(instance: SessionMaterial, filename: str) -> str:
    # Server-generated names only, like circulation materials; the original name is kept.
    return f"sessions/{instance.meeting.committee_id}/{uuid.uuid4().hex}"


class SessionMaterial(models.Model):
    """One file of the session's materials, listed 資料1, 資料2 … with its type and size."""

    meeting = models.ForeignKey(
        "circulation.Meeting", on_delete=models.PROTECT, related_name="materials"
    )
    position = models.PositiveSmallIntegerField()  # 1-based: 資料{position}
    title = models.CharField(_("資料の名称"), max_length=200)
    file = models.FileField(_("資料ファイル"), upload_to=session_material_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "position"], name="one_session_material_position"
            )
        ]

    def __str__(self) -> str:
        return f"資料{self.position} {self.title}"

    @property
    def committee(self) -> object:
        """The audit log finds the committee through this (portal.audit.committee_of)."""
        return self.meeting.committee


class Attendance(models.Model):
    """An invitee's answer (出席・欠席・ウェブ参加, changeable until the start) and, recorded
    by the secretariat on the day, whether they actually attended."""

    class Answer(models.TextChoices):
        ATTEND = "attend", _("出席")
        ABSENT = "absent", _("欠席")
        WEB = "web", _("ウェブ参加")
        UNANSWERED = "", _("未回答")

    meeting = models.ForeignKey(
        "circulation.Meeting", on_delete=models.CASCADE, related_name="attendances"
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="attendances")
    answer = models.CharField(
        _("出欠"), max_length=10, choices=Answer.choices, default="", blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # Recorded on the day by the secretariat; None until then.
    attended = models.BooleanField(_("出席した"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "user__full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_invitee")
        ]
        indexes = [models.Index(fields=["meeting", "answer"])]

    def __str__(self) -> str:
        return f"{self.meeting_id}/{self.user_id}: {self.answer or '-'}"

    @property
    def counts_present(self) -> bool:
        """Whether the answer counts toward the quorum before the session (web counts)."""
        return self.answer in (self.Answer.ATTEND, self.Answer.WEB)


class Election(models.Model):
    """A chair (会長) or acting chair (職務代理者) elected at a session; recording it
    changes the roles through portal/services/membership.py."""

    ROLES = [
        (Role.CHAIR.value, Role.CHAIR.label),
        (Role.ACTING_CHAIR.value, Role.ACTING_CHAIR.label),
    ]

    meeting = models.ForeignKey(
        "circulation.Meeting", on_delete=models.PROTECT, related_name="elections"
    )
    role = models.CharField(_("役職"), max_length=20, choices=ROLES)
    elected = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.role} {self.elected_id}"

    @property
    def committee(self) -> object:
        return self.meeting.committee
