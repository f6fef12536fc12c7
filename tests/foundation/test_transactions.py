"""Each service commits on its own: a service that fails leaves nothing of its work behind
(the view log written before it stays), its mail is handed to the broker once, after the
commit, and a refusal keeps its log entry.

These tests commit for real (transactional database), so that commits can be seen.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from circulation.mail import outbox
from circulation.models import Circulation, OutboxMessage, Reply
from circulation.services import replies
from portal.models import AuditEntry
from tests.circulation.helpers import sent_circulation
from tests.factories import CirculationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _refuses_by_itself(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied  # no gate: portal.auditlog.middleware logs it


urlpatterns = [
    path("test/refuse/", _refuses_by_itself),
    path("", include("portal.urls")),
]


@pytest.fixture
def handed(monkeypatch) -> list[dict[str, Any]]:
    """What the outbox hands to the broker, and whether a transaction was still open then."""
    calls: list[dict[str, Any]] = []

    def record(ids: list[int]) -> None:
        calls.append({"ids": list(ids), "in_transaction": connection.in_atomic_block})

    monkeypatch.setattr(outbox, "enqueue_delivery_batch", record)
    return calls


REPLY = {"kind": "no_opinion", "opinion": "", "meeting_needed": "no", "base_version": "0"}


def test_the_receipt_of_a_reply_is_handed_to_the_broker_once_after_the_reply_commits(
    client, council, handed
):
    circulation = sent_circulation(council)
    handed.clear()  # the notices of sending
    client.force_login(council.members[0])

    response = client.post(reverse("circulation_reply", args=[circulation.pk]), REPLY)

    assert response.status_code == 302
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert handed == [{"ids": [receipt.pk], "in_transaction": False}]


def test_a_service_that_fails_rolls_back_alone(council, handed, monkeypatch):
    circulation = sent_circulation(council)
    handed.clear()
    client = Client(raise_request_exception=False)
    client.force_login(council.members[0])
    assert client.get(reverse("circulation_detail", args=[circulation.pk])).status_code == 200

    def receipt_fails(reply: Reply) -> None:
        raise RuntimeError("the receipt could not be written")

    monkeypatch.setattr(replies, "queue_reply_receipt", receipt_fails)
    response = client.post(reverse("circulation_reply", args=[circulation.pk]), REPLY)

    assert response.status_code == 500
    # The reply and its audit entry went with the failed receipt; nothing was handed over.
    assert not Reply.objects.exists()
    assert not AuditEntry.objects.filter(action="circulation.reply.submitted").exists()
    assert handed == []
    # The page view logged before it is kept.
    assert AuditEntry.objects.filter(action="circulation.viewed").count() == 1


def test_a_refusal_by_a_gate_keeps_its_log_entry(client, council):
    elsewhere = CirculationFactory(
        committee=council.other_committee,
        state=Circulation.State.OPEN,
        created_by=council.other_secretariat,
    )
    client.force_login(council.members[0])

    assert client.get(reverse("circulation_detail", args=[elsewhere.pk])).status_code == 404

    entry = AuditEntry.objects.get(action="access.refused")
    assert (entry.actor, entry.data["status"]) == (council.members[0], 404)


def test_a_refusal_a_view_raised_by_itself_keeps_its_log_entry(council, settings):
    settings.ROOT_URLCONF = __name__
    client = Client()
    client.force_login(council.members[0])

    assert client.get("/test/refuse/").status_code == 403

    entry = AuditEntry.objects.get(action="access.refused")
    assert (entry.data["gate"], entry.data["status"]) == ("none", 403)
