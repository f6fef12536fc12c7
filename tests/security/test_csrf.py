"""CSRF: the middleware guards every POST, and no view of ours opts out of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.models import LogReview

ROOT = Path(__file__).resolve().parents[2]
# Views allowed to skip CSRF, each authenticated in another way. The inbound-mail endpoint
# would go here (authenticated by its own secret); there is none yet.
ALLOWED_CSRF_EXEMPT: set[str] = set()
OPT_OUTS = re.compile(r"csrf_exempt|CsrfExemptMixin|_dont_enforce_csrf_checks|csrf_processing_done")


def test_no_code_of_ours_opts_out_of_csrf():
    this_file = Path(__file__).resolve()
    found = {
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if not path.relative_to(ROOT).parts[0].startswith((".", "var", "node_modules"))
        and path.resolve() != this_file
        and OPT_OUTS.search(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert found <= ALLOWED_CSRF_EXEMPT, f"csrf opt-out outside the allowed list: {found}"


def test_the_csrf_middleware_is_on():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_a_forged_review_is_refused(council):
    client = Client(enforce_csrf_checks=True)
    client.force_login(council.secretariat)
    url = reverse("audit_log_reviews", args=[council.committee.pk])
    data = {"period_start": "2026-01-01", "period_end": "2026-01-31", "result": "ok"}
    assert client.post(url, data).status_code == 403
    assert not LogReview.objects.exists()
    # With the token from the form, the same post goes through.
    client.get(url)
    token = client.cookies["csrftoken"].value
    assert client.post(url, data, HTTP_X_CSRFTOKEN=token).status_code == 302
    assert LogReview.objects.count() == 1
