"""The circulation (書面照会) and everything that hangs off it.

Models hold data and small queries. Every change of state is made by a function in
circulation/services*.py, which also writes the audit entry and queues the mail.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
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

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="circulations")
    title = models.CharField(_("件名"), max_length=200)
    explanation = models.TextField(_("説明"), blank=True)  # markdown, sanitised on display
    deadline = models.DateTimeField(_("回答期限"))  # aware, stored in UTC
    # Bumped by every extension; reminders and the closing summary are keyed on it.
    deadline_version = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
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

    class Meta:
        ordering = ["-deadline", "-id"]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["committee", "state"]),
        ]

    def __str__(self) -> str:
        return self.title

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


class Question(models.Model):
    """A member's question (質問) about a circulation; answers are shown to every recipient."""

    circulation = models.ForeignKey(Circulation, on_delete=models.PROTECT, related_name="questions")
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("質問"))
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class Answer(models.Model):
    question = models.OneToOneField(Question, on_delete=models.PROTECT, related_name="answer")
    text = models.TextField(_("回答"))
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.text[:50]

    @property
    def circulation(self) -> Circulation:
        return self.question.circulation


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


class OutboxMessage(models.Model):
    """One outgoing mail, written in the same transaction as the change that caused it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信失敗")
        # No longer wanted when its turn came (a reminder to someone who has replied since).
        CANCELLED = "cancelled", _("送信取消")

    purpose = models.CharField(max_length=50)
    to_email = models.EmailField()
    to_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    circulation = models.ForeignKey(
        Circulation, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox"
    )
    deadline_version = models.PositiveIntegerField(default=0)
    # Tells apart several mails of one purpose (a reminder's offset, a question's id, ...).
    key = models.CharField(max_length=100, blank=True, default="")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # While `sending`: the worker's claim (its lease) holds until then; the worker renews it
    # as it goes. A lapsed lease means the worker died or is stuck: the row is taken over.
    leased_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Last time the sweep handed this row to the broker: two sweeps do not enqueue it twice.
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["to_email", "purpose", "circulation", "deadline_version", "key"],
                condition=Q(circulation__isnull=False),
                name="outbox_once_per_circulation_purpose",
            ),
            models.UniqueConstraint(
                fields=["to_email", "purpose", "key"],
                condition=Q(circulation__isnull=True),
                name="outbox_once_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.to_email}"


def inbound_attachment_path(instance: InboundAttachment, filename: str) -> str:
    # Server-generated names only; the sanitised original name is kept in the row.
    return f"inbound/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class InboundMessage(models.Model):
    """One mail received at the reply address (issue: mail replies). The raw bytes are stored
    before anything else happens, so a message is never lost; processing is a second step."""

    class State(models.TextChoices):
        RECEIVED = "received", _("受信(未処理)")
        RECORDED = "recorded", _("回答として記録")
        HELD = "held", _("保留(事務局が確認)")
        UNMATCHED = "unmatched", _("宛先不明")
        IGNORED = "ignored", _("記録しない")
        DISCARDED = "discarded", _("破棄")
        ASSIGNED = "assigned", _("事務局が割り当て")

    class Reason(models.TextChoices):
        NONE = "", _("なし")
        WRONG_SENDER = "wrong_sender", _("登録されたアドレス以外からの返信")
        TOKEN_REVOKED = "token_revoked", _("無効にされた返信用アドレス")
        FORGED_TOKEN = "forged_token", _("正しくない返信用アドレス")
        NO_MATCH = "no_match", _("どの書面照会への返信か分からない")
        AUTO_REPLY = "auto_reply", _("自動応答")
        BOUNCE = "bounce", _("配信エラーの通知")
        LATE = "late", _("回答期限後")
        TERM_ENDED = "term_ended", _("任期終了後の返信")
        MEETING = "meeting", _("会議についての返信")
        EMPTY = "empty", _("本文がない")
        DUPLICATE = "duplicate", _("同じメールの重複")
        ERROR = "error", _("処理中のエラー")

    # Waiting for the secretariat: the held/unmatched list shows these.
    NEEDS_ATTENTION = (State.HELD, State.UNMATCHED)

    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)  # the same bytes twice: one row
    size = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=20)  # mta, imap, simulate
    envelope_sender = models.CharField(max_length=254, blank=True)
    envelope_recipient = models.CharField(max_length=254, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # Filled by processing, from the headers.
    from_address = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to_addresses = models.TextField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    body_text = models.TextField(blank=True)  # the reply text, quotes and signature removed
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="")
    detail = models.TextField(blank=True)
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    circulation = models.ForeignKey(
        Circulation, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound"
    )
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound"
    )
    # The registered person whose address sent it, if any (decides who sees unmatched mail).
    sender_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["committee", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_address or '?'}: {self.subject[:60]}"


class InboundAttachment(models.Model):
    """A file attached to an inbound mail; kept with the reply it became."""

    message = models.ForeignKey(
        InboundMessage, on_delete=models.PROTECT, related_name="attachments"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=inbound_attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def circulation(self) -> Circulation | None:
        return self.message.circulation


class Heartbeat(models.Model):
    """When a periodic job last ran (one row per job): the portal warns the secretariat when
    beat has been silent for a while, because then no deadline closes and no reminder goes."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


# The meeting and its minutes live in a module of their own (kept short); importing them
# here registers them with the app like every model above.
from .meeting_models import Meeting, MeetingMinutes  # noqa: E402, F401
