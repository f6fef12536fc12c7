"""Fixtures of the mail engine's unit tests: a scripted SMTP backend, and a broker that
records what it was handed instead of running anything."""

from __future__ import annotations

import pytest

from circulation.mail import outbox
from tests.mail_engine.backends import ScriptedBackend


@pytest.fixture(autouse=True)
def _fresh_mail_engine(settings):
    settings.KAIRAN_MAIL_RETRY_BASE_SECONDS = 60
    settings.KAIRAN_MAIL_RETRY_CAP_SECONDS = 3600
    settings.KAIRAN_MAIL_MAX_ATTEMPTS = 5
    settings.KAIRAN_MAIL_LEASE_SECONDS = 30
    settings.KAIRAN_MAIL_REQUEUE_AFTER_SECONDS = 60
    settings.KAIRAN_BEAT_STALE_SECONDS = 300
    settings.DEFAULT_FROM_EMAIL = "Kairan <kairan@city.example.jp>"
    outbox._broker_down_until = 0.0
    ScriptedBackend.reset()


@pytest.fixture
def smtp(settings) -> type[ScriptedBackend]:
    settings.EMAIL_BACKEND = "tests.mail_engine.backends.ScriptedBackend"
    return ScriptedBackend


@pytest.fixture
def broker(monkeypatch) -> list[int]:
    """Ids handed to the broker after commit (nothing runs: tests call deliver themselves)."""
    handed: list[int] = []
    monkeypatch.setattr(outbox, "enqueue_delivery_batch", handed.extend)
    return handed
