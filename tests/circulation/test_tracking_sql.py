"""The tracking page's queries compiled once (circulation/reads/tracking_sql.py) give what the ORM's
querysets give: the same recipients in the same order for every filter and slice, with
their names, dates (converted as the ORM converts them) and materials opened, and the same
counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from circulation.models import Circulation, MaterialOpening, OutboxMessage
from circulation.reads import tracking_sql
from circulation.reads.tracking import FILTERS, chosen_filter, tracking
from circulation.services.materials import record_material_opening
from circulation.services.replies import submit_reply
from portal.models import Role
from tests.circulation.helpers import sent_circulation
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(council) -> Circulation:
    for n in range(7):
        MembershipFactory(
            user=UserFactory(email=f"extra{n}@example.jp", full_name=f"追加 委員{n % 3}"),
            committee=council.committee,
            role=Role.MEMBER,
            term_start=timezone.localdate() - dt.timedelta(days=1),
        )
    circulation = sent_circulation(council)
    material = circulation.materials.get()
    recipients = list(circulation.recipients.select_related("user").order_by("id"))
    for index, recipient in enumerate(recipients):
        if index % 2:
            record_material_opening(material, user=recipient.user, inline=False)
        if index % 3:
            kind = "opinion" if index % 3 == 1 else "no_opinion"
            opinion = "意見" if kind == "opinion" else ""
            submit_reply(recipient=recipient, kind=kind, opinion=opinion,
                         meeting_needed=index % 4 == 1, submitted_by=recipient.user)  # fmt: skip
    return circulation


def _by_the_orm(circulation: Circulation, where: Q) -> list[tuple]:
    opened = Subquery(
        MaterialOpening.objects.filter(
            user_id=OuterRef("user_id"),
            material__circulation=circulation,
            material__is_current=True,
        )
        .order_by()
        .values("user_id")
        .annotate(count=Count("material_id", distinct=True))
        .values("count")
    )
    rows = circulation.recipients.filter(where).select_related("user").annotate(opened=opened)
    return [
        (r.pk, r.user.full_name, r.role, r.first_opened_at, r.current_reply_id, r.opened)
        for r in rows
    ]


def _compiled(rows: list) -> list[tuple]:
    return [
        (
            r.pk,
            r.user.full_name,
            r.role,
            r.first_opened_at,
            r.current_reply_id,
            r.materials_opened,
        )
        for r in rows
    ]


@pytest.mark.parametrize("key", [f.key for f in FILTERS])
def test_every_filter_and_slice_gives_the_orms_rows(varied, key):
    where = chosen_filter(key).where
    expected = _by_the_orm(varied, where)
    rows = tracking_sql.PageRows(varied, where)

    assert _compiled(rows[0:100]) == expected
    assert _compiled(rows[2:5]) == expected[2:5]
    assert _compiled(rows[5:]) == expected[5:]
    assert rows[3:3] == []
    if key == "not_opened":
        assert all(row[3] is None for row in expected)
    else:
        assert any(isinstance(row[3], dt.datetime) and row[3].tzinfo for row in expected)
    with pytest.raises(TypeError):
        rows[0]  # the paginator only slices


def test_the_counts_are_the_orms(varied):
    conditions = tuple((f.count, f.where) for f in FILTERS)
    expected = varied.recipients.aggregate(**{n: Count("pk", filter=w) for n, w in conditions})

    found = tracking_sql.counts(varied, conditions)

    assert {name: found[name] for name in expected} == expected
    assert not found["failed_mail"]
    OutboxMessage.objects.filter(circulation=varied).update(state=OutboxMessage.State.FAILED)
    assert tracking_sql.counts(varied, conditions)["failed_mail"]
    assert tracking(varied).failed_mail


def test_a_circulation_without_recipients_counts_nothing(council):
    circulation = sent_circulation(council)
    circulation.recipients.all().delete()
    state = tracking(circulation)
    assert state.recipients == 0 and state.page_recipients == []
