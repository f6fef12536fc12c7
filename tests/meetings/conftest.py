"""Scenes for the meeting tests; the clock stands still at the moment each test acts."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.meetings.helpers import Convened, convened_scene


@pytest.fixture
def convened(council, time_machine) -> Convened:
    """Decided 開催する on Friday 10:00; the clock then stands at 11:00, when the secretariat
    schedules the meeting."""
    scene = convened_scene(council)
    time_machine.move_to(scene.decided_at + dt.timedelta(hours=1), tick=False)
    return scene


@pytest.fixture
def not_convened(council, time_machine) -> Convened:
    scene = convened_scene(council, convene=False)
    time_machine.move_to(scene.decided_at + dt.timedelta(hours=1), tick=False)
    return scene


@pytest.fixture
def broker(monkeypatch) -> list[int]:
    """Ids handed to the broker after commit; nothing runs (tests call deliver themselves)."""
    from circulation.mail import outbox

    handed: list[int] = []
    monkeypatch.setattr(outbox, "enqueue_delivery_batch", handed.extend)
    return handed
