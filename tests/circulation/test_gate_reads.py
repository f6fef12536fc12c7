"""The written-out reads of circulation/reads/gate.py give what the ORM gives: every field of
every instance, the related objects select_related would leave (so reading them costs no
query), None where a LEFT JOIN found nothing, and the lock on the receipt."""

from __future__ import annotations

import pytest
from django.db import models

from circulation.models import Circulation, Recipient, Reply
from circulation.reads.gate import circulation_with_receipt, locked_receipt
from circulation.services.replies import submit_reply
from portal.models import Committee
from tests.circulation.helpers import draft_circulation, sent_circulation

pytestmark = pytest.mark.django_db


def _fields(instance: models.Model) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _assert_same(ours: models.Model, orms: models.Model) -> None:
    assert type(ours) is type(orms)
    assert _fields(ours) == _fields(orms)
    assert ours._state.adding is False and ours._state.db == orms._state.db


def test_the_gate_read_is_the_circulation_committee_and_receipt_as_the_orm_reads_them(
    council, django_assert_num_queries
):
    circulation = sent_circulation(council)
    member = council.members[0]
    receipt = Recipient.objects.get(circulation=circulation, user=member)
    submit_reply(recipient=receipt, kind=Reply.Kind.OPINION, opinion="賛成", meeting_needed=True)
    receipt.refresh_from_db()

    with django_assert_num_queries(1):
        ours, recipient = circulation_with_receipt(circulation.pk, member.pk)
        # select_related's caches: none of these reads the database again
        committee, reply = ours.committee, recipient.current_reply
        assert recipient.circulation is ours

    _assert_same(ours, Circulation.objects.get(pk=circulation.pk))
    _assert_same(committee, Committee.objects.get(pk=council.committee.pk))
    assert isinstance(committee.reminder_offsets_hours, list)  # JSON, converted
    _assert_same(recipient, receipt)
    _assert_same(reply, Reply.objects.get(recipient=receipt, version=1))
    assert reply.meeting_needed is True  # a boolean, on SQLite too


def test_the_gate_read_without_a_receipt_or_a_reply(council, django_assert_num_queries):
    circulation = sent_circulation(council)

    ours, recipient = circulation_with_receipt(circulation.pk, council.secretariat.pk)
    assert ours.pk == circulation.pk and recipient is None
    assert circulation_with_receipt(circulation.pk, None)[1] is None  # nobody logged in

    _, recipient = circulation_with_receipt(circulation.pk, council.members[0].pk)
    with django_assert_num_queries(0):
        assert recipient.current_reply is None


def test_the_gate_read_of_a_missing_circulation_finds_nothing(council):
    draft = draft_circulation(council)
    assert circulation_with_receipt(draft.pk + 1000, council.members[0].pk) == (None, None)


def test_the_locked_read_is_the_receipt_as_the_orm_reads_it(council, django_assert_num_queries):
    circulation = sent_circulation(council)
    member = council.members[1]
    receipt = Recipient.objects.get(circulation=circulation, user=member)

    with django_assert_num_queries(1):
        ours = locked_receipt(receipt.pk)
        assert ours.current_reply is None
        related = ours.circulation, ours.circulation.committee, ours.user

    _assert_same(ours, receipt)
    _assert_same(related[0], Circulation.objects.get(pk=circulation.pk))
    _assert_same(related[1], council.committee)
    _assert_same(related[2], member)
    with pytest.raises(Recipient.DoesNotExist):
        locked_receipt(receipt.pk + 1000)


@pytest.mark.postgres
def test_the_locked_read_locks_only_the_receipt():
    """On PostgreSQL: FOR UPDATE OF the Recipient row, as select_for_update(of=("self",))."""
    from circulation.reads.gate import _locked_sql

    assert _locked_sql().endswith(' FOR UPDATE OF "circulation_recipient"')
