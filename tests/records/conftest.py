"""Fixtures of the minutes and public records tests: the clock stands still at 10:00 JST
the day after the session (time_machine), so deadlines and 更新日 can be asserted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from circulation.models import Meeting
from tests.records.scenes import held_session


@pytest.fixture
def session(council, time_machine) -> Meeting:
    meeting = held_session(council)
    tomorrow = timezone.localtime(meeting.starts_at) + dt.timedelta(hours=20)  # 10:00 next day
    time_machine.move_to(tomorrow, tick=False)
    return meeting
