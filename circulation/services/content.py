"""The version of what every recipient of a circulation sees besides the circulation row
itself: its materials and its questions and answers (Circulation.content_version)."""

from __future__ import annotations

from django.db.models import F

from circulation.models import Circulation


def content_changed(circulation: Circulation) -> None:
    """Call in the transaction of every change to a sent circulation's materials, questions
    or answers, after the change. The pages cache those parts rendered per version
    (circulation/reads/page_parts.py); a change without a new version would not be shown
    (tests/content_version.py fails any request that makes one)."""
    Circulation.objects.filter(pk=circulation.pk).update(content_version=F("content_version") + 1)
