"""One transaction per request (portal/request_transaction.py): a page's writes and the
session's save commit once, together; a failure leaves nothing half-done; a refusal keeps its
log entry; mail is handed to the broker once, after the commit; allauth's pages are left out.

These tests commit for real (transactional database), so that COMMITs can be counted.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from circulation.mail import outbox
from circulation.models import Circulation, OutboxMessage
from portal import audit
from portal.models import AuditEntry
from portal.request_transaction import OUTSIDE, RequestTransactionMiddleware
from tests.circulation.helpers import sent_circulation
from tests.factories import CirculationFactory

pytestmark = pytest.mark.django_db(transaction=True)


# --- A view that writes and then fails, and one that refuses by itself ----------------------


def _writes_then_fails(request: HttpRequest) -> HttpResponse:
    audit.record("test.half_done", actor=request.user)
    raise RuntimeError("the second half of the work failed")


def _refuses_by_itself(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied  # no gate: portal.auditlog.middleware logs it


urlpatterns = [
    path("test/half-done/", _writes_then_fails),
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


def _transaction_control(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split()[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK"}]


def _index(statements: list[str], prefix: str) -> int:
    return next(i for i, s in enumerate(statements) if s.startswith(prefix))


def _statements(action: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return [query["sql"] for query in captured.captured_queries]


def test_the_member_page_commits_once_its_view_log_and_the_session_together(
    client, council, handed
):
    circulation = sent_circulation(council)
    client.force_login(council.members[0])
    url = reverse("circulation_detail", args=[circulation.pk])
    assert client.get(url).status_code == 200  # warm-up

    statements = _statements(lambda: client.get(url))

    control = _transaction_control(statements)
    assert [s.split()[0] for s in control] == ["BEGIN", "COMMIT"], control
    begin, commit = statements.index(control[0]), statements.index(control[1])
    view_log = _index(statements, 'INSERT INTO "portal_auditentry"')
    session_save = _index(statements, 'UPDATE "django_session"')
    assert begin < view_log < session_save < commit
    assert AuditEntry.objects.filter(action="circulation.viewed").count() == 2


def test_the_reply_its_receipt_and_the_session_commit_once_and_the_receipt_leaves_after(
    client, council, handed
):
    circulation = sent_circulation(council)
    handed.clear()  # the notices of sending
    client.force_login(council.members[0])
    data = {"kind": "no_opinion", "opinion": "", "meeting_needed": "no", "base_version": "0"}

    statements = _statements(
        lambda: client.post(reverse("circulation_reply", args=[circulation.pk]), data)
    )

    assert [s.split()[0] for s in _transaction_control(statements)] == ["BEGIN", "COMMIT"]
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    # Handed over exactly once, after the one commit (not when the service's block ended).
    assert handed == [{"ids": [receipt.pk], "in_transaction": False}]


def _queues_and_answers(request: HttpRequest) -> HttpResponse:
    from django.db import transaction

    audit.record("test.queued", actor=None)
    transaction.on_commit(lambda: outbox.enqueue_delivery_batch([42]))
    transaction.on_commit(_fails, robust=True)
    transaction.on_commit(lambda: outbox.enqueue_delivery_batch([43]))
    return HttpResponse("done")


def _fails() -> None:
    raise RuntimeError("the broker is down")


def test_the_commits_callbacks_run_once_the_response_is_sent_in_order(handed, caplog):
    middleware = RequestTransactionMiddleware(_queues_and_answers)

    response = middleware(RequestFactory().get("/c/1/"))

    assert AuditEntry.objects.filter(action="test.queued").exists()  # committed
    assert handed == []  # not yet: the response has not been sent
    response.close()  # what the WSGI server does once the response is sent
    assert handed == [{"ids": [42], "in_transaction": False},
                      {"ids": [43], "in_transaction": False}]  # fmt: skip
    assert "the broker is down" in caplog.text  # a failing callback is logged, not raised


def test_a_rolled_back_requests_callbacks_never_run(handed):
    def fails_after_queueing(request: HttpRequest) -> HttpResponse:
        from django.db import transaction

        transaction.on_commit(lambda: outbox.enqueue_delivery_batch([42]))
        return HttpResponse(status=500)

    response = RequestTransactionMiddleware(fails_after_queueing)(RequestFactory().get("/"))
    response.close()
    assert handed == []


def test_a_view_that_writes_and_then_fails_leaves_nothing_behind(council, settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(council.members[0])

    response = client.get("/test/half-done/")

    assert response.status_code == 500
    assert not AuditEntry.objects.filter(action="test.half_done").exists()


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


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("/", True),
        ("/c/1/", True),
        ("/c/1/reply/", True),
        ("/admin/", True),
        (reverse("account_login"), False),
        (reverse("mfa_activate_totp"), False),  # its success message comes from on_commit
        (reverse("account_logout"), False),
        (reverse("demo_mail_list", urlconf="tests.ops.demo_urlconf"), False),  # files only
    ],
)
def test_allauth_and_the_demo_mail_reader_run_outside_the_request_transaction(url, inside):
    seen: list[bool] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(connection.in_atomic_block)
        return HttpResponse()

    RequestTransactionMiddleware(view)(RequestFactory().get(url))

    assert seen == [inside]
    assert url.startswith(OUTSIDE) is not inside
