"""The circulation (書面照会) and what hangs off it: deadline extensions, materials,
recipients with their reply versions, material openings and the chair's decision.

Models hold data and small queries; every change of state is made by a service
(circulation/services/), which also writes the audit entry and queues the mail.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Committee, Membership, Role, User


class Circulation(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("下書き")
        OPEN = "open", _("回答受付中")
        CLOSED = "closed", _("締切")
        DECIDED = "decided", _("決定済み")
        ARCHIVED = "archived", _("完了")
        DISCARDED = "discarded", _("破棄")

    class Kind(models.TextChoices):
        # A consultation (諮問) is a circulation of another kind: the same materials,
        # deadline, reminders, Q&A, close and decision, with votes per item (consultation.py).
        CIRCULATION = "circulation", _("書面照会")
        CONSULTATION = "consultation", _("諮問")

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="circulations")
    title = models.CharField(_("件名"), max_length=200)
    explanation = models.TextField(_("説明"), blank=True)  # markdown, sanitised on display
    deadline = models.DateTimeField(_("回答期限"))  # aware, stored in UTC
    # Bumped by every extension; reminders and the closing summary are keyed on it.
    deadline_version = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CIRCULATION)
    # Bumped by every edit of a draft so that two editors cannot overwrite each other.
    revision = models.PositiveIntegerField(default=1)
    # Bumped, once sent, by every change to what all its recipients see besides this row: a
    # material corrected, a question asked, a question answered (the services do it). The
    # member's page keeps its materials list and Q&A per version (circulation/page_parts.py).
    content_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set by compare-and-swap when the chair's reminder is queued: at most one per circulation.
    chair_reminded_at = models.DateTimeField(null=True, blank=True)
    # When beat last handed the close to a worker (circulation/jobs/due.py): a later tick
    # hands it again only after KAIRAN_DUE_WORK_REQUEUE_SECONDS (a task the broker lost).
    close_handed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-deadline", "-id"]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["committee", "state"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_consultation(self) -> bool:
        return self.kind == self.Kind.CONSULTATION

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def accepts_replies_at(self, moment: timezone.datetime) -> bool:
        return self.state == self.State.OPEN and moment < self.deadline


class DeadlineExtension(models.Model):
    circulation = models.ForeignKey(
        Circulation, on_delete=models.PROTECT, related_name="extensions"
    )
    old_deadline = models.DateTimeField()
    new_deadline = models.DateTimeField()
    deadline_version = models.PositiveIntegerField()
    reason = models.TextField(_("理由"))
    extended_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    extended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["extended_at"]

    def __str__(self) -> str:
        return f"{self.circulation}: v{self.deadline_version}"


def material_upload_path(instance: Material, filename: str) -> str:
    # Server-generated names only; the original name is kept in the row.
    return f"materials/{instance.circulation.committee_id}/{uuid.uuid4().hex}"


class Material(models.Model):
    """An uploaded file (資料). A correction after sending is a new row that replaces the old."""

    circulation = models.ForeignKey(Circulation, on_delete=models.PROTECT, related_name="materials")
    title = models.CharField(_("資料名"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(_("資料ファイル"), upload_to=material_upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField(default=1)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    is_current = models.BooleanField(default=True)
    change_note = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class Recipient(models.Model):
    """A member to whom a circulation was sent (送付先); frozen when sent."""

    circulation = models.ForeignKey(
        Circulation, on_delete=models.PROTECT, related_name="recipients"
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="receipts")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    # Points at the newest ReplyVersion; kept by the reply service so tallies are one query.
    current_reply = models.OneToOneField(
        "Reply", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # One-click links and the reply address stop working once revoked (issue: mail replies).
    token_revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["circulation", "user"], name="one_recipient_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ← {self.circulation}"


class Reply(models.Model):
    """One version of a member's reply (回答). Versions are never changed or removed."""

    class Kind(models.TextChoices):
        NO_OPINION = "no_opinion", _("意見なし")
        OPINION = "opinion", _("意見あり")
        # A consultation's vote (賛否): one ItemVote per item (models/consultation.py).
        VOTE = "vote", _("賛否")

    class Channel(models.TextChoices):
        WEB = "web", _("ウェブ")
        MAIL = "mail", _("メール")
        LINK = "link", _("メールのリンク")

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="replies")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    opinion = models.TextField(_("意見"), blank=True)
    # 審議が必要 (True) / 審議は不要 (False) / not said (None)
    meeting_needed = models.BooleanField(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recipient", "version"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "version"], name="one_reply_version")
        ]

    def __str__(self) -> str:
        return f"{self.recipient} v{self.version}"


class MaterialOpening(models.Model):
    """A recipient opened (viewed or downloaded) a material: shown on the tracking page."""

    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="openings")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["material", "user"])]

    def __str__(self) -> str:
        return f"{self.user} opened {self.material}"


class Decision(models.Model):
    """The chair's decision (開催の要否). Final once made."""

    circulation = models.OneToOneField(
        Circulation, on_delete=models.PROTECT, related_name="decision"
    )
    convene = models.BooleanField()
    reason = models.TextField(_("理由"))
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_as = models.CharField(max_length=20, choices=Role.choices)
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.circulation}: {'開催する' if self.convene else '開催しない'}"
