"""The tracking page's rows show every kind of row: not opened, opened, not replied, replied
in several versions, opinions with line breaks and markup, every channel, meeting needed or
not or not said, and names that need escaping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation.models import MaterialOpening, Recipient, Reply
from tests.circulation.helpers import sent_circulation
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _replies(recipient: Recipient, versions: list[dict]) -> None:
    start = timezone.now() - dt.timedelta(hours=len(versions))
    reply = None
    for number, fields in enumerate(versions, start=1):
        reply = Reply.objects.create(
            recipient=recipient,
            version=number,
            submitted_at=start + dt.timedelta(minutes=number),
            submitted_by=recipient.user,
            **fields,
        )
    recipient.current_reply = reply
    recipient.save(update_fields=["current_reply"])


@pytest.fixture
def varied_rows(council):
    today = timezone.localdate()
    odd = UserFactory(email="odd@example.jp", full_name='<委員> & "引用" O\'Brien')
    MembershipFactory(user=odd, committee=council.committee, term_start=today)
    circulation = sent_circulation(council)
    recipients = {r.user_id: r for r in circulation.recipients.select_related("user")}
    chair, acting = recipients[council.chair.pk], recipients[council.acting_chair.pk]
    tanaka, takahashi = recipients[council.members[0].pk], recipients[council.members[1].pk]
    _replies(chair, [{"kind": "no_opinion", "meeting_needed": False}])
    _replies(
        tanaka,
        [
            {
                "kind": "opinion",
                "opinion": "第一案\n<b>太字</b> & 記号",
                "meeting_needed": None,
                "channel": "mail",
            },
            {"kind": "no_opinion", "meeting_needed": True, "channel": "link"},
            {"kind": "opinion", "opinion": "最終の意見\r\n二行目", "meeting_needed": True},
        ],
    )
    _replies(
        recipients[odd.pk],
        [{"kind": "opinion", "opinion": "'quote' \"double\"", "meeting_needed": None}],
    )
    material = circulation.materials.get()
    for recipient in (chair, tanaka, acting):
        MaterialOpening.objects.create(material=material, user=recipient.user)
        recipient.first_opened_at = timezone.now() - dt.timedelta(days=1)
        recipient.save(update_fields=["first_opened_at"])
    assert takahashi.current_reply_id is None
    return circulation


def test_every_kind_of_row_shows_on_the_tracking_page(client, council, varied_rows):
    client.force_login(council.secretariat)
    html = client.get(reverse("circulation_tracking", args=[varied_rows.pk])).content.decode()
    for piece in (
        "未開封",
        "開いた",
        "未回答",
        "以前の回答 2件",
        "第3版",
        "メール",
        "&lt;b&gt;",
        "<br>",
        "<strong>審議が必要</strong>",
        "審議は不要",
        "&lt;委員&gt; &amp; &quot;引用&quot; O&#x27;Brien",
    ):
        assert piece in html, piece
