"""Questions (質問) about a circulation and the secretariat's answers (回答)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.models.circulation import Circulation
from portal.models import User


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
