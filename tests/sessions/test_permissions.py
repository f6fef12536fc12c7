"""Who reaches a session's pages: those who sit on the council see it and answer; the
secretariat manages it; another council's secretariat and outsiders get 404 (logged);
anonymous visitors are sent to log in. (Every URL × every persona: tests/security.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditEntry

pytestmark = pytest.mark.django_db


def status(user, url: str, method: str = "get", data: dict | None = None) -> int:
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url, data or {}).status_code


def test_the_session_pages_answer_each_persona(council, session):
    detail = reverse("session_detail", args=[session.pk])
    agenda = reverse("session_agenda", args=[session.pk])
    listing = reverse("session_list", args=[council.committee.pk])
    schedule = reverse("session_schedule", args=[council.committee.pk])
    answer = reverse("session_answer", args=[session.pk])
    table = {
        "secretariat": (council.secretariat, 200, 200, 200, 200, 403),
        "chair": (council.chair, 200, 403, 200, 403, 302),
        "member": (council.members[0], 200, 403, 200, 403, 302),
        "former member": (council.former_member, 404, 404, 404, 404, 404),
        "outsider": (council.outsider, 404, 404, 404, 404, 404),
        "other council's secretariat": (council.other_secretariat, 404, 404, 404, 404, 404),
    }
    for persona, (user, see, manage, see_list, schedule_it, answer_it) in table.items():
        got = (
            status(user, detail), status(user, agenda), status(user, listing),
            status(user, schedule), status(user, answer, "post", {"answer": "attend"}),
        )  # fmt: skip
        assert got == (see, manage, see_list, schedule_it, answer_it), persona
    anonymous = Client().get(detail)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    refused = AuditEntry.objects.filter(action="access.refused", actor=council.other_secretariat)
    assert refused.filter(committee=council.committee).exists()


def test_another_councils_material_under_ones_own_session_is_a_404(council, session):
    from django.core.files.base import ContentFile

    from circulation.services.sessions import add_session_material, schedule_session
    from circulation.uploads.checks import check_upload
    from tests.circulation.helpers import PDF_BYTES
    from tests.sessions.helpers import Moments, details

    other = schedule_session(council.other_committee.pk, by=council.other_secretariat,
                             details=details(Moments()))  # fmt: skip
    material = add_session_material(
        other.pk, by=council.other_secretariat,
        upload=check_upload(ContentFile(PDF_BYTES, name="x.pdf")), title="資料",
    )  # fmt: skip
    url = reverse("session_material_download", args=[session.pk, material.pk])
    assert status(council.secretariat, url) == 404
    own = add_session_material(
        session.pk, by=council.secretariat,
        upload=check_upload(ContentFile(PDF_BYTES, name="次第.pdf")), title="次第",
    )  # fmt: skip
    assert own.position == 1
    ok = Client()
    ok.force_login(council.members[0])
    response = ok.get(reverse("session_material_download", args=[session.pk, own.pk]))
    assert response.status_code == 200
    page = ok.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "資料1 次第" in page and "PDF" in page
