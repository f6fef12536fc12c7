"""Personas of the consultation tests: the implementing body's staff of the consultation
(木村, 中央地域センター) and of another consultation of the same council (森, 幼児課)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.models import Role
from tests.factories import MembershipFactory, UserFactory


def _body(council, email: str, name: str):
    person = UserFactory(email=email, full_name=name)
    today = timezone.localdate()
    MembershipFactory(
        user=person,
        committee=council.committee,
        role=Role.IMPLEMENTING_BODY,
        term_start=today - dt.timedelta(days=30),
        term_end=today + dt.timedelta(days=700),
    )
    return person


@pytest.fixture
def body(council):
    """木村: staff of the implementing body named for the consultation under test."""
    return _body(council, "kimura@city.example.jp", "木村 実施機関")


@pytest.fixture
def other_body(council):
    """森: staff of the implementing body of another consultation of the council."""
    return _body(council, "mori@city.example.jp", "森 実施機関")
