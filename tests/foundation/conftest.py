"""Fixtures of the foundation tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    # allauth's rate limits live in the cache, and the locmem cache outlives a test.
    cache.clear()
    yield
    cache.clear()
