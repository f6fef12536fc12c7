"""Installed for every test by tests/conftest.py: a request that changes a sent circulation's
materials, questions or answers must move its content version, because the pages keep those
parts cached under that version (circulation/reads/page_parts.py). Any request that does not
fails the test it ran in, whichever service it called."""

from __future__ import annotations

from typing import Any

from django.core.signals import got_request_exception, request_finished, request_started
from django.db.models.signals import pre_delete, pre_save

from circulation.models import Answer, Circulation, Material, Question

WATCHED = (Material, Question, Answer)
NOT_CACHED = (Circulation.State.DRAFT, Circulation.State.DISCARDED)


class ContentVersionWatch:
    def __init__(self) -> None:
        self.in_request = False
        self.before: dict[int, int] = {}  # circulation id -> content version at its first change
        self.failures: list[str] = []

    def connect(self) -> None:
        request_started.connect(self.started)
        got_request_exception.connect(self.failed)
        request_finished.connect(self.finished)
        for model in WATCHED:
            pre_save.connect(self.changing, sender=model)
            pre_delete.connect(self.changing, sender=model)

    def disconnect(self) -> None:
        request_started.disconnect(self.started)
        got_request_exception.disconnect(self.failed)
        request_finished.disconnect(self.finished)
        for model in WATCHED:
            pre_save.disconnect(self.changing, sender=model)
            pre_delete.disconnect(self.changing, sender=model)

    def started(self, **kwargs: Any) -> None:
        self.in_request, self.before = True, {}

    def failed(self, **kwargs: Any) -> None:
        # The service's transaction was rolled back: nothing changed.
        self.in_request, self.before = False, {}

    def changing(self, sender: type, instance: Any, **kwargs: Any) -> None:
        if not self.in_request:
            return  # a test's own set-up, not a service behind a page
        if isinstance(instance, Answer):
            circulation_id = Question.objects.get(pk=instance.question_id).circulation_id
        else:
            circulation_id = instance.circulation_id
        if circulation_id in self.before:
            return
        state, version = Circulation.objects.values_list("state", "content_version").get(
            pk=circulation_id
        )
        if state not in NOT_CACHED:
            self.before[circulation_id] = version

    def finished(self, **kwargs: Any) -> None:
        self.in_request = False
        for circulation_id, before in self.before.items():
            now = (
                Circulation.objects.filter(pk=circulation_id)
                .values_list("content_version", flat=True)
                .first()
            )
            if now is None:
                continue  # disposed of (廃棄) by the request: nothing left to show
            if now <= before:
                self.failures.append(
                    f"circulation {circulation_id}: its materials, questions or answers changed"
                    f" but its content version stayed at {before} (services/content.py)"
                )
        self.before = {}
