"""`make demo` shows one open circulation with replies, one awaiting the chair, and one
decided 開催する whose meeting is scheduled."""

import datetime as dt

import pytest
from django.utils import timezone

from circulation.demo import (
    CLOSED_TITLE,
    CONVENED_TITLE,
    MEETING_PLACE,
    OPEN_TITLE,
    demo_pdf,
    load_demo_circulations,
)
from circulation.models import Circulation, Meeting, OutboxMessage

pytestmark = pytest.mark.django_db


def test_demo_has_an_open_circulation_with_replies_and_one_awaiting_the_chair(council):
    load_demo_circulations(council.committee)
    load_demo_circulations(council.committee)  # running the demo again keeps the data

    open_one = Circulation.objects.get(title=OPEN_TITLE)
    assert open_one.state == Circulation.State.OPEN
    assert open_one.recipients.filter(current_reply__isnull=False).count() == 2
    assert open_one.materials.count() == 2

    closed = Circulation.objects.get(title=CLOSED_TITLE)
    assert closed.state == Circulation.State.CLOSED
    assert not hasattr(closed, "decision") or closed.decision is None
    assert closed.recipients.filter(current_reply__isnull=False).count() == 3
    assert closed.outbox.filter(purpose="circulation.closing_summary").exists()
    assert Circulation.objects.count() == 3
    # Created in the order that gives the README's numbers (1 awaits the chair, 2 is open).
    assert closed.pk < open_one.pk


def test_demo_has_a_convened_circulation_with_its_meeting_ahead(council):
    load_demo_circulations(council.committee)
    convened = Circulation.objects.get(title=CONVENED_TITLE)
    assert convened.state == Circulation.State.DECIDED
    assert convened.decision.convene is True
    meeting = Meeting.objects.get(circulation=convened)
    assert meeting.place == MEETING_PLACE and meeting.state == Meeting.State.SCHEDULED
    days_ahead = (meeting.starts_at - timezone.now()) / dt.timedelta(days=1)
    assert 9 < days_ahead < 11
    invited = OutboxMessage.objects.filter(purpose="meeting.invitation", circulation=convened)
    assert invited.filter(to_email=council.members[0].email).exists()
    assert convened.pk > Circulation.objects.get(title=OPEN_TITLE).pk


def test_demo_material_is_a_pdf():
    content = demo_pdf("Minutes")
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
