"""The secretariat's reminder sent now (「未回答の委員に督促する」): one row per press, so
that the tracking page lists them and the next press knows when the last one went."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.models import User


class ReminderNow(models.Model):
    """A reminder the secretariat sent by hand to every recipient who had not replied."""

    circulation = models.ForeignKey(
        "circulation.Circulation", on_delete=models.PROTECT, related_name="reminders_now"
    )
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    # How many mails were queued (the people are in the audit entry and the outbox).
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["circulation", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.circulation_id}: {self.sent_at:%Y-%m-%d %H:%M}"
