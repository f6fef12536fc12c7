"""The explanation's HTML is kept per process, keyed by the text itself
(circulation/reads/markdown.py): rendered once, shown again without markdown, still
sanitised, and an edited explanation — by whatever means — shows at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from circulation.models import Circulation
from circulation.reads import markdown as text
from circulation.reads.markdown import render_markdown
from tests.circulation.helpers import sent_circulation

pytestmark = pytest.mark.django_db

UNSAFE = "**大事**\n\n<script>alert(1)</script>[x](javascript:alert(2))<img src=x onerror=alert(3)>"


@pytest.fixture(autouse=True)
def _empty_cache():
    text._render_cached.cache_clear()
    yield
    text._render_cached.cache_clear()


def test_an_explanation_is_rendered_once_and_stays_sanitised_from_the_cache(monkeypatch):
    first = render_markdown(UNSAFE)
    monkeypatch.setattr(text.markdown, "markdown", lambda *a, **k: pytest.fail("rendered again"))
    again = render_markdown(UNSAFE)

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


def test_a_very_long_explanation_is_rendered_each_time_and_not_kept():
    long_text = "長い説明。" * (text.CACHED_TEXT_LIMIT // 5 + 1)
    assert len(long_text) > text.CACHED_TEXT_LIMIT

    html = render_markdown(long_text)

    assert html.startswith("<p>長い説明。")
    assert text._render_cached.cache_info().currsize == 0
