"""The explanation's HTML is kept in the cache, keyed by a digest of the text itself
(circulation/reads/page_parts.py): rendered once, shown again without markdown, still sanitised,
and an edited explanation — by whatever means — shows at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from circulation.models import Circulation
from circulation.reads import markdown as text
from circulation.reads.page_parts import explanation_html
from tests.circulation.helpers import sent_circulation

pytestmark = pytest.mark.django_db

UNSAFE = "**大事**\n\n<script>alert(1)</script>[x](javascript:alert(2))<img src=x onerror=alert(3)>"


def test_an_explanation_is_rendered_once_and_stays_sanitised_from_the_cache(council, monkeypatch):
    circulation = sent_circulation(council)
    circulation.explanation = UNSAFE
    first = explanation_html(circulation)
    monkeypatch.setattr(text.markdown, "markdown", lambda *a, **k: pytest.fail("rendered again"))
    again = explanation_html(circulation)

    assert again == first
    assert "<strong>大事</strong>" in again
    for markup in ("<script", "javascript:", "onerror", "<img"):
        assert markup not in again


def test_a_changed_explanation_shows_at_once_even_when_changed_outside_the_services(
    client, council
):
    circulation = sent_circulation(council)
    client.force_login(council.members[0])
    url = reverse("circulation_detail", args=[circulation.pk])
    assert "議事録をご確認ください。" in client.get(url).content.decode()

    # As the Django admin or a data migration would: no service, no hook.
    Circulation.objects.filter(pk=circulation.pk).update(explanation="**訂正後の説明**")
    page = client.get(url).content.decode()

    assert "<strong>訂正後の説明</strong>" in page
    assert "議事録をご確認ください。" not in page
