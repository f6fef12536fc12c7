"""Every 403/404 on an object is logged: who, which URL, which permission, which object."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from circulation.models import Circulation
from portal.auditlog.middleware import RefusalAuditMiddleware
from portal.models import AuditEntry
from tests.factories import CirculationFactory

pytestmark = pytest.mark.django_db


def refusals():
    return AuditEntry.objects.filter(action="access.refused")


def test_an_outsider_opening_a_committee_page_is_refused_and_logged(client, council):
    client.force_login(council.outsider)
    url = reverse("committee_detail", args=[council.committee.pk])
    response = client.get(url, HTTP_USER_AGENT="Mozilla/5.0 (probe)")
    assert response.status_code == 404
    entry = refusals().get()
    assert entry.actor == council.outsider
    assert entry.result == AuditEntry.Result.REFUSED
    assert entry.committee == council.committee  # so that committee's secretariat sees it
    assert (entry.object_type, entry.object_id) == ("portal.committee", str(council.committee.pk))
    assert entry.data == {"url": url, "permission": "view_committee", "status": 404}
    assert entry.ip == "127.0.0.1"
    assert entry.user_agent == "Mozilla/5.0 (probe)"


def test_a_committee_that_does_not_exist_is_logged_with_the_id_asked_for(client, council):
    client.force_login(council.members[0])
    assert client.get(reverse("committee_detail", args=[999999])).status_code == 404
    entry = refusals().get()
    assert (entry.object_type, entry.object_id) == ("portal.committee", "999999")
    assert entry.committee is None


def test_a_member_opening_the_audit_log_of_their_committee_gets_403_logged(client, council):
    client.force_login(council.members[0])
    url = reverse("audit_log") + f"?committee={council.committee.pk}"
    assert client.get(url).status_code == 403
    entry = refusals().get()
    assert entry.data["status"] == 403
    assert entry.data["permission"] == "view_audit_log"
    assert entry.actor == council.members[0]


def test_another_committees_circulation_is_a_logged_404_naming_the_circulation(client, council):
    elsewhere = CirculationFactory(
        committee=council.other_committee,
        state=Circulation.State.OPEN,
        created_by=council.other_secretariat,
    )
    client.force_login(council.secretariat)
    url = reverse("circulation_detail", args=[elsewhere.pk])
    assert client.get(url).status_code == 404
    entry = refusals().get()
    assert (entry.object_type, entry.object_id) == ("circulation.circulation", str(elsewhere.pk))
    assert entry.committee == council.other_committee
    assert entry.data["permission"] == "view_circulation"


def test_a_refusal_through_a_gate_is_logged_once(client, council):
    client.force_login(council.outsider)
    client.get(reverse("committee_detail", args=[council.committee.pk]))
    assert refusals().count() == 1


def test_a_404_raised_by_a_view_itself_is_still_logged_without_an_object(council):
    request = RequestFactory().get("/c/123/materials/9/")
    request.user = council.members[0]
    middleware = RefusalAuditMiddleware(lambda r: None)
    middleware.process_exception(request, Http404())
    middleware.process_exception(request, PermissionDenied())
    logged = list(refusals().order_by("id"))
    assert [e.data["status"] for e in logged] == [404, 403]
    assert all(e.data["url"] == "/c/123/materials/9/" and e.data["gate"] == "none" for e in logged)
    assert all(e.actor == council.members[0] for e in logged)


def test_an_anonymous_404_is_web_noise_and_not_logged(council):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/wp-admin/")
    request.user = AnonymousUser()
    RefusalAuditMiddleware(lambda r: None).process_exception(request, Http404())
    assert not refusals().exists()
