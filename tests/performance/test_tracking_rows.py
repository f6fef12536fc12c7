"""The tracking page's rows, rendered in Python for speed (circulation/reads/tracking_html.py), are
exactly what the template loop they replaced rendered: in Japanese and English, for every
kind of row (not opened, opened, not replied, replied in several versions, opinions with
line breaks and markup, every channel, meeting needed or not or not said)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.template import engines
from django.utils import timezone, translation

from circulation.models import MaterialOpening, Recipient, Reply
from circulation.reads.tracking import tracking
from circulation.reads.tracking_html import tracking_rows_html
from tests.circulation.helpers import sent_circulation
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# The loop of templates/circulation/secretariat/tracking.html before it was replaced.
REFERENCE = engines["django"].from_string(
    (Path(__file__).parent / "reference" / "tracking_rows.html").read_text().rstrip("\n")
)


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


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_rows_are_the_same_as_the_template_rendered(varied_rows, language):
    with translation.override(language):
        state = tracking(varied_rows)
        expected = REFERENCE.render({"tracking": state})
        assert str(tracking_rows_html(state)) == expected


def test_every_kind_of_row_is_in_the_comparison(varied_rows):
    html = str(tracking_rows_html(tracking(varied_rows)))
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
