"""The secretariat's tracking page: who opened, who replied how and when, every version,
and the mail that did not arrive — in the same number of queries for 3 or 30 members."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circulation.models import Circulation, OutboxMessage
from circulation.services.materials import record_material_opening
from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from portal.models import Role
from tests.circulation.conftest import JST
from tests.circulation.helpers import draft_circulation
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
DEADLINE = dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST)


def sent(council) -> Circulation:
    circulation = draft_circulation(council, deadline=DEADLINE)
    return send_circulation(circulation.pk, by=council.secretariat)


def tracking_page(client, circulation) -> str:
    return client.get(reverse("circulation_tracking", args=[circulation.pk])).content.decode()


def count(body: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}">(\d+)<', body).group(1))


def test_counts_openings_replies_channels_and_every_version(client, council, clock):
    circulation = sent(council)
    tanaka, takahashi, ito = council.members
    material = circulation.materials.get()
    record_material_opening(material, user=tanaka, inline=False)
    record_material_opening(material, user=ito, inline=True)
    recipient = circulation.recipients.get(user=tanaka)
    submit_reply(recipient=recipient, kind="opinion", opinion="最初の意見です", meeting_needed=True,
                 submitted_by=tanaka)  # fmt: skip
    clock.shift(dt.timedelta(hours=2))
    submit_reply(recipient=recipient, kind="opinion", opinion="考え直した意見です",
                 meeting_needed=False, submitted_by=tanaka)  # fmt: skip
    submit_reply(recipient=circulation.recipients.get(user=takahashi), kind="no_opinion",
                 meeting_needed=False, channel="mail")  # fmt: skip
    client.force_login(council.secretariat)
    body = tracking_page(client, circulation)
    assert (count(body, "recipients"), count(body, "replied")) == (5, 2)
    assert (count(body, "not-replied"), count(body, "opened")) == (3, 2)
    tanaka_row = body.split('id="recipient-')[1:]
    tanaka_row = next(row for row in tanaka_row if "田中 委員" in row.split("</tr>")[0])
    tanaka_row = tanaka_row.split("</tr>")[0]
    assert "考え直した意見です" in tanaka_row
    assert "<details>" in tanaka_row and "最初の意見です" in tanaka_row
    assert "第2版" in tanaka_row and "ウェブ" in tanaka_row
    assert "9月1日(火) 12:00" in tanaka_row  # when the current version came
    takahashi_row = next(r for r in body.split("<tr") if "高橋 委員" in r)
    assert "メール" in takahashi_row and "未開封" in takahashi_row


def test_undelivered_mail_is_shown_with_whom_and_why(client, council):
    circulation = sent(council)
    OutboxMessage.objects.filter(to_email=council.members[1].email).update(
        state=OutboxMessage.State.FAILED, last_error="550 5.1.1 mailbox unavailable"
    )
    client.force_login(council.secretariat)
    body = tracking_page(client, circulation)
    failed = body.split('id="failed-heading"')[1].split("</section>")[0]
    assert "高橋 委員" in failed and "takahashi@example.jp" in failed
    assert "書面照会の通知" in failed  # the kind of mail in words (種類), not its code
    assert "circulation.notice" not in failed
    assert "550 5.1.1 mailbox unavailable" in failed


def _circulation_with(council, extra_members: int, leave_out: int = 0) -> Circulation:
    for n in range(extra_members):
        MembershipFactory(
            user=UserFactory(email=f"extra{n}@example.jp", full_name=f"追加 委員{n}"),
            committee=council.committee,
            role=Role.MEMBER,
            term_start=dt.date(2026, 4, 1),
            term_end=dt.date(2028, 3, 31),
        )
    circulation = draft_circulation(council, deadline=DEADLINE)
    for recipient in list(circulation.recipients.all())[:leave_out]:
        recipient.delete()
    circulation = send_circulation(circulation.pk, by=council.secretariat)
    material = circulation.materials.get()
    for recipient in circulation.recipients.select_related("user"):
        record_material_opening(material, user=recipient.user, inline=False)
        for version in (1, 2):
            submit_reply(recipient=recipient, kind="opinion", opinion=f"意見{version}",
                         meeting_needed=True, submitted_by=recipient.user)  # fmt: skip
    return circulation


def test_the_page_costs_the_same_queries_for_3_or_30_recipients(
    client, council, django_assert_max_num_queries
):
    small = _circulation_with(council, extra_members=0, leave_out=2)
    assert small.recipients.count() == 3
    client.force_login(council.secretariat)
    with CaptureQueriesContext(connection) as small_queries:
        assert client.get(reverse("circulation_tracking", args=[small.pk])).status_code == 200
    large = _circulation_with(council, extra_members=25)
    assert large.recipients.count() == 30
    with django_assert_max_num_queries(len(small_queries)):
        body = tracking_page(client, large)
    assert count(body, "replied") == 30


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 403),
        ("chair", 403),
        ("implementing_body", 403),
        ("outsider", 404),
        ("other_secretariat", 404),
        ("former_member", 404),
    ],
)
def test_only_the_secretariat_tracks(client, council, implementing_body, who, status):
    circulation = sent(council)
    person = {
        "member": council.members[0],
        "chair": council.chair,
        "implementing_body": implementing_body,
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "former_member": council.former_member,
    }[who]
    client.force_login(person)
    url = reverse("circulation_tracking", args=[circulation.pk])
    assert client.get(url).status_code == status


def test_every_kind_of_mail_the_portal_sends_has_a_label():
    """A reading of the code: each purpose written to the outbox is named in words."""
    import re
    from pathlib import Path

    from circulation.models.purposes import LABELS

    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in (root / "circulation").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'purpose="((?:circulation|meeting|account)\.[a-z_]+)"', text))
        found |= set(re.findall(r'^[A-Z_]+ = "((?:circulation|meeting)\.[a-z_]+)"', text, re.M))
    assert len(found) > 15
    assert found - set(LABELS) == set()
