"""A Redis cache that degrades instead of failing the request when Redis is unreachable.

Production's cache (CACHE_URL=redis://...) holds sessions (read through by `cached_db`, which
keeps the database copy) and allauth's rate limits. With Django's RedisCache an outage raised
out of every request: nobody could sign in or open a page. `DegradingRedisCache` logs the error
(at most once every LOG_EVERY seconds per process) and answers as an empty cache would: a read
is a miss, a write or delete is dropped, `add` reports the value stored, `incr` of a key it
cannot see raises ValueError as for a missing key. So sessions come from the database and the
rate limits fail open (see README "Configuration").

A write or delete it dropped would leave Redis holding an older value once it is back (a
session signed out during the outage would come back to life): such keys are remembered in
the process (at most PENDING_MAX) and deleted from Redis by the first call that reaches it.
Short socket timeouts keep a Redis that hangs from holding a request for long.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOG_EVERY = 30.0
PENDING_MAX = 10_000
TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**TIMEOUTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._lock = threading.Lock()
        self._stale: set[str] = set()  # keys (already made) Redis may hold an old value of
        self._logged_at = 0.0

    # --- reads: a miss ------------------------------------------------------------------
    def get(self, key, default=None, version=None):
        return self._guard(RedisCache.get, default, (), key, default, version)

    def get_many(self, keys, version=None):
        return self._guard(RedisCache.get_many, {}, (), keys, version)

    def has_key(self, key, version=None):
        return self._guard(RedisCache.has_key, False, (), key, version)

    # --- writes: dropped, the key remembered as stale -------------------------------------
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guard(RedisCache.set, None, [(key, version)], key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(RedisCache.add, True, [(key, version)], key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        stale = [(key, version) for key in data]
        return self._guard(RedisCache.set_many, [], stale, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(RedisCache.touch, False, (), key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(RedisCache.delete, False, [(key, version)], key, version)

    def delete_many(self, keys, version=None):
        stale = [(key, version) for key in keys]
        self._guard(RedisCache.delete_many, None, stale, keys, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._guard(RedisCache.incr, missing, [(key, version)], key, delta, version)
        if value is missing:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")
        return value

    def clear(self):
        return self._guard(RedisCache.clear, False, ())

    # --- the guard ----------------------------------------------------------------------
    def _guard(self, method, fallback, stale, *args):
        """RedisCache's `method` with `args`; `fallback` if Redis fails, remembering the
        (key, version) pairs of `stale` as keys Redis may now hold an older value of."""
        try:
            self._forget_stale()
            return method(self, *args)
        except RedisError as exc:
            with self._lock:
                if len(self._stale) < PENDING_MAX:
                    self._stale.update(
                        self.make_and_validate_key(key, version=version) for key, version in stale
                    )
            self._log(exc)
            return fallback

    def _forget_stale(self) -> None:
        """Delete from Redis what it may hold older values of (raises while it is down)."""
        if not self._stale:
            return
        with self._lock:
            keys, self._stale = list(self._stale), set()
        try:
            self._cache.delete_many(keys)
        except RedisError:
            with self._lock:
                self._stale.update(keys)
            raise
        logger.warning("cache back: dropped %d keys written during the outage", len(keys))

    def _log(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY:
            self._logged_at = now
            logger.error("cache unreachable, answering as empty: %s: %s", type(exc).__name__, exc)
