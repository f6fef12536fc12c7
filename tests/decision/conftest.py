"""Scenes for the decision tests; time stands still at the moment each test acts."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.decision.helpers import Scene, closed_scene, open_scene


@pytest.fixture
def closed(council, time_machine) -> Scene:
    """Closed on Thursday 17:00; the clock then stands at Friday 10:00, when the chair
    decides."""
    scene = closed_scene(council)
    time_machine.move_to(scene.decide_at, tick=False)
    return scene


@pytest.fixture
def still_open(council, time_machine) -> Scene:
    """The same circulation on Wednesday, before its deadline."""
    scene = open_scene(council)
    time_machine.move_to(scene.deadline - dt.timedelta(days=1), tick=False)
    return scene
