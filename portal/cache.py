"""The cache: Redis, and while Redis cannot be reached, this process's memory.

The cache holds short-lived counters and marks (allauth's login rate limits, the one-time use
of MFA codes) and the pages' cached parts (circulation/reads/page_parts.py), which are only ever
rendered again when missing. With Django's RedisCache a Redis outage turned every login into a
500. Here a call that cannot reach Redis is served from a local-memory cache instead, and Redis
is not tried again for a few seconds (so a page does not wait for a dead server on each call).
During an outage the limits still hold, per web process instead of across all of them; when
Redis answers again its own counters take over (docs/operations.md).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# After a failure, how long this process serves from memory before it tries Redis again.
RETRY_AFTER_SECONDS = 5.0
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisOrLocalCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._local = LocMemCache(f"kairan-fallback-{id(self)}", {"TIMEOUT": self.default_timeout})
        self._down_until = 0.0

    def _either(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except _UNREACHABLE as exc:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                log.warning("cache: Redis unreachable (%s); serving from memory for now", exc)
        return getattr(self._local, name)(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return self._either("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._either("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> None:
        self._either("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return self._either("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return self._either("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self._either("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return self._either("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> int:
        return self._either("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> list[str]:
        return self._either("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        self._either("delete_many", *args, **kwargs)

    def clear(self) -> None:
        self._either("clear")
