"""While Redis is down, members can still log in and the login limits still hold (in each
web process's memory); when Redis answers again, it is used again (portal/cache.py)."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.mail_engine.realparts import free_port
from tests.security.test_account_security import browser, log_in, signed_in_as

pytestmark = pytest.mark.django_db


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "portal.cache.RedisOrLocalCache",
            "LOCATION": url,
            "KEY_PREFIX": "kairan-test-cache",
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    yield
    cache.clear()


def test_with_redis_down_a_member_still_logs_in(council, redis_down):
    member = council.members[0]
    client = browser("198.51.100.21")

    response = log_in(client, member.email)

    assert response.status_code == 302
    assert signed_in_as(client) == str(member.pk)


def test_with_redis_down_login_posts_are_still_limited(council, redis_down):
    client = browser("198.51.100.22")
    for _ in range(30):
        client.post(reverse("account_login"), {})

    response = log_in(client, council.members[0].email)

    assert response.status_code == 429
    assert signed_in_as(client) is None


def test_a_dead_redis_is_asked_again_only_after_a_pause(redis_down, monkeypatch):
    attempts: list[str] = []

    def unreachable(self, key, default=None, version=None):
        attempts.append(key)
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(RedisCache, "get", unreachable)
    cache.set("limit", 3)  # goes to memory: the first failure starts the pause
    assert [cache.get("limit") for _ in range(5)] == [3] * 5
    assert attempts == []  # not asked during the pause

    cache._down_until = 0.0  # the pause is over
    assert cache.get("limit") == 3  # asked once more, still down: memory answers
    assert attempts == ["limit"]


@pytest.mark.redis
def test_with_redis_up_the_cache_is_redis(settings):
    settings.CACHES = redis_cache(os.environ["REDIS_URL"])
    cache.set("kairan-cache-check", "in redis", 30)
    try:
        import redis

        raw = redis.Redis.from_url(os.environ["REDIS_URL"])
        assert any(b"kairan-cache-check" in key for key in raw.keys("kairan-test-cache*"))
        assert cache.get("kairan-cache-check") == "in redis"
    finally:
        cache.delete("kairan-cache-check")
