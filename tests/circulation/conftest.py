"""Personas particular to the circulation tests."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from portal.models import Role
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def implementing_body(council):
    """木村, staff of the implementing body (実施機関) of the council: answers questions."""
    person = UserFactory(email="kimura@city.example.jp", full_name="木村 実施機関")
    today = timezone.localdate()
    MembershipFactory(
        user=person,
        committee=council.committee,
        role=Role.IMPLEMENTING_BODY,
        term_start=today - dt.timedelta(days=30),
        term_end=today + dt.timedelta(days=700),
    )
    return person


JST = dt.timezone(dt.timedelta(hours=9))
# Tuesday 1 September 2026, 10:00 in Japan: the day the secretariat prepares a circulation.
START = dt.datetime(2026, 9, 1, 10, 0, tzinfo=JST)


@pytest.fixture
def clock():
    """Frozen Japan time. Request it through `pytest.mark.usefixtures("clock")` so that it
    starts before the personas, whose terms are counted from 'today'."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
