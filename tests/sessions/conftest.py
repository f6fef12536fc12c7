"""The clock stands still on the Monday the secretariat schedules the session."""

from __future__ import annotations

import pytest

from circulation.models import Meeting
from tests.sessions.helpers import Moments, schedule_first


@pytest.fixture
def moments(council, time_machine) -> Moments:
    found = Moments()
    time_machine.move_to(found.scheduled_at, tick=False)
    return found


@pytest.fixture
def session(council, moments) -> Meeting:
    return schedule_first(council, moments)
