"""`make demo` has two public records anybody reads without logging in: the minutes of the
demo council's first session (議題 1–5, 会長選任, the Q&A by role, a withheld passage, and
次回の開催 by written circulation) and the record of that written deliberation (書面開催)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from circulation.demo_records import WRITTEN_TITLE
from circulation.models import Meeting, Minutes, MinutesCheck
from portal.demo import load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_the_demo(settings):
    settings.DEMO = True


def test_the_demo_has_a_published_session_record_and_a_written_one():
    demo = load_demo()
    records = {m.kind: m for m in Minutes.objects.filter(committee=demo.committee)}
    assert {kind: m.state for kind, m in records.items()} == {
        "session": "published", "written": "published",
    }  # fmt: skip
    session = records["session"]
    # The sessions' demo 第1回; checked by every attendee, approved by the chair.
    first = Meeting.objects.get(committee=demo.committee, number=1)
    assert session.meeting == first
    attended = first.attendances.filter(attended=True, user__memberships__role__in=[
        "chair", "acting_chair", "member"]).distinct().count()  # fmt: skip
    assert MinutesCheck.objects.filter(minutes=session, approved=True).count() == attended >= 3
    assert session.approved_by == demo.chair
    visitor = Client()
    index = visitor.get(reverse("public_index")).content.decode()
    assert demo.committee.name in index
    council = visitor.get(reverse("public_council", args=[demo.committee.pk])).content.decode()
    assert first.title in council and "書面開催" in council
    page = visitor.get(reverse("public_record", args=[demo.committee.pk, session.pk]))
    text = page.content.decode()
    for line in ("1 開会あいさつ", "3 会長選任", "5 その他", "(委員)", "(事務局)", "次回の開催",
                 "セキュリティ上の理由"):  # fmt: skip
        assert line in text, line
    assert "予備系サーバ室" not in text  # the withheld passage
    written = visitor.get(reverse("public_record", args=[demo.committee.pk, records["written"].pk]))
    assert WRITTEN_TITLE in written.content.decode()
    assert "会議は開催しないことに決定した" in written.content.decode()
    for member in demo.members:
        assert member.full_name not in text and member.full_name not in written.content.decode()
    assert load_demo() is None  # running the demo again keeps everything
    assert Minutes.objects.count() == 2
