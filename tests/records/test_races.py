"""Races on real PostgreSQL: two secretaries asking to publish the same minutes, the chair
confirming a step in two tabs, and two attendees' revisions from the same version — each
has exactly one effect (the minutes' row is locked; one pending step per record)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from circulation.models import Minutes, MinutesVersion, Publication
from circulation.reads.minutes import MinutesContent
from circulation.services.minutes_drafts import (
    MinutesRefused,
    approve_minutes,
    revise_minutes,
    send_for_check,
    start_session_minutes,
)
from circulation.services.publication import (
    confirm_publication,
    request_publication,
    update_record_settings,
)
from portal.models import AuditEntry
from tests.consultations.test_races import at_once
from tests.records.scenes import held_session, written_minutes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _approved(council) -> Minutes:
    minutes = start_session_minutes(held_session(council).pk, by=council.secretariat)
    send_for_check(minutes.pk, by=council.secretariat,
                   deadline=timezone.now() + dt.timedelta(days=7),
                   checker_ids=[council.members[0].pk])  # fmt: skip
    approve_minutes(minutes.pk, by=council.chair, version=1)
    return minutes


def test_two_requests_to_publish_make_one_pending_step(council):
    update_record_settings(council.committee, by=council.secretariat, public_names=False,
                           chair_confirms=True, department="")  # fmt: skip
    minutes = _approved(council)
    ask = lambda: request_publication(minutes.pk, by=council.secretariat, version=1)  # noqa: E731
    outcomes = at_once(ask, ask)
    assert sorted(type(o).__name__ for o in outcomes) == ["MinutesRefused", "Publication"]
    assert Publication.objects.filter(minutes=minutes).count() == 1


def test_the_chair_confirming_in_two_tabs_publishes_once(council):
    update_record_settings(council.committee, by=council.secretariat, public_names=False,
                           chair_confirms=True, department="")  # fmt: skip
    minutes = _approved(council)
    step = request_publication(minutes.pk, by=council.secretariat, version=1)
    confirm = lambda: confirm_publication(step.pk, by=council.chair, accept=True)  # noqa: E731
    outcomes = at_once(confirm, confirm)
    assert sum(isinstance(o, MinutesRefused) for o in outcomes) == 1
    assert AuditEntry.objects.filter(action="record.published").count() == 1
    assert Minutes.objects.get(pk=minutes.pk).state == Minutes.State.PUBLISHED


def test_two_revisions_from_the_same_version_keep_one(council):
    minutes = start_session_minutes(held_session(council).pk, by=council.secretariat)
    content = written_minutes(MinutesContent.of(minutes.versions.get()))
    revise = lambda: revise_minutes(  # noqa: E731
        minutes.pk, by=council.secretariat, content=content, base_version=1
    )
    outcomes = at_once(revise, revise)
    assert sorted(type(o).__name__ for o in outcomes) == ["MinutesRefused", "MinutesVersion"]
    assert MinutesVersion.objects.filter(minutes=minutes).count() == 2
