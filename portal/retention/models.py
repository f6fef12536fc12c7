"""A council's retention periods, and the records listed as past them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Committee, User


class Kind(models.TextChoices):
    CIRCULATION = "circulation", _("書面照会(回答・資料・会議・会議録を含む)")
    CONSULTATION = "consultation", _("諮問(賛否・付言・答申・対応状況・資料を含む)")
    MAIL = "mail", _("メール")
    AUDIT = "audit", _("操作記録")


class RetentionPolicy(models.Model):
    """How many years each kind of record is kept, counted from the end of the fiscal year
    (31 March) in which the record was finished."""

    committee = models.OneToOneField(
        Committee, on_delete=models.PROTECT, related_name="retention_policy"
    )
    circulation_years = models.PositiveSmallIntegerField(_("書面照会"), default=10)
    meeting_years = models.PositiveSmallIntegerField(_("会議・会議録"), default=10)
    consultation_years = models.PositiveSmallIntegerField(_("諮問・答申"), default=10)
    mail_years = models.PositiveSmallIntegerField(_("メール"), default=5)
    audit_years = models.PositiveSmallIntegerField(_("操作記録"), default=5)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.committee}"


class DisposalItem(models.Model):
    """A record past its period, listed for the secretariat by the daily job. Nothing is
    removed until the secretariat approves; then the item keeps what was removed."""

    class State(models.TextChoices):
        LISTED = "listed", _("承認待ち")
        DISPOSED = "disposed", _("廃棄済み")

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # A circulation's id, or the fiscal year (e.g. "2015") of mail or audit entries.
    key = models.CharField(max_length=20)
    label = models.CharField(max_length=300)
    period_ended_on = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.LISTED)
    listed_at = models.DateTimeField()
    exported_at = models.DateTimeField(null=True, blank=True)
    disposed_at = models.DateTimeField(null=True, blank=True)
    disposed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "kind", "key"],
                condition=Q(state="listed"),
                name="one_listed_item_per_record",
            )
        ]

    def __str__(self) -> str:
        return self.label
