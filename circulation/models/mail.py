"""Mail: the outbox (every outgoing message, written in the transaction that caused it)
and inbound mail with its attachments."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.models.circulation import Circulation, Recipient, Reply
from circulation.models.purposes import purpose_label
from circulation.models.questions import Question
from portal.models import Committee, User


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
    # The council the mail is about (its circulation's, or a session's held on its own;
    # none for account mail): the council's mail is kept and disposed of per fiscal year.
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline_version = models.PositiveIntegerField(default=0)
    # Tells apart several mails of one purpose (a reminder's offset, a question's id, ...).
    key = models.CharField(max_length=100, blank=True, default="")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Materials attached to the mail (their ids): the council attaches them to the notice
    # instead of linking them, within its size limit (circulation/mail/attachments.py).
    attachments = models.JSONField(default=list, blank=True)
    # A calendar file (.ics) to attach, rendered when the mail was queued (a session's
    # invitation: METHOD:REQUEST, or its cancellation: METHOD:CANCEL).
    calendar = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # While `sending`: the worker's claim (its lease) holds until then; the worker renews it
    # as it goes. A lapsed lease means the worker died or is stuck: the row is taken over.
    leased_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Random, given when queued (circulation/mail/message_ids.py); replies are looked up by it.
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
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

    @property
    def purpose_label(self) -> str:
        return purpose_label(self.purpose)


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
        ASKED = "asked", _("質問として記録")

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
        VOTE = "vote", _("諮問の賛否(事務局が確認)")
        EMPTY = "empty", _("本文がない")
        DUPLICATE = "duplicate", _("同じメールの重複")
        ERROR = "error", _("処理中のエラー")
        NO_TOKEN = "no_token", _("個人用の返信アドレスを使っていない返信")
        MALFORMED = "malformed", _("形式が壊れたメール")
        UNCLEAR = "unclear", _("意見なしかどうか読み取れない")

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
    # A mail whose first line starts with 「質問」 becomes a question to the secretariat.
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound"
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
