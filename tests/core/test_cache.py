"""Issue 11, point 6: the Redis cache degrades instead of failing requests (core/cache.py),
against a private Redis that the tests kill and pause."""

import logging

import pytest

from core.cache import DegradingRedisCache
from tests.private_redis import private_redis  # noqa: F401 - a fixture


def _cache(server) -> DegradingRedisCache:
    return DegradingRedisCache(server.url(1), {"TIMEOUT": 300, "OPTIONS": {"socket_timeout": 0.3}})


def test_with_redis_up_it_is_a_redis_cache(private_redis):  # noqa: F811
    cache = _cache(private_redis)
    cache.set("k", {"a": 1})
    assert cache.get("k") == {"a": 1}
    assert cache.add("k", 2) is False
    assert cache.incr(cache.add("n", 1) and "n") == 2


def test_with_redis_dead_reads_miss_and_writes_are_dropped_logged_once(
    private_redis,  # noqa: F811
    caplog,
):
    """Django's RedisCache raised ConnectionError out of every request here."""
    cache = _cache(private_redis)
    cache.set("k", "v")
    private_redis.kill()
    caplog.set_level(logging.ERROR, logger="core.cache")
    assert cache.get("k") is None
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["k", "j"]) == {}
    assert cache.has_key("k") is False
    cache.set("k", "w")
    cache.set_many({"a": 1})
    assert cache.add("lock", 1) is True  # as on an empty cache: allauth's lock goes on
    assert cache.delete("k") is False
    cache.delete_many(["a", "b"])
    assert cache.touch("k") is False
    with pytest.raises(ValueError, match="not found"):
        cache.incr("n")
    lines = [r.getMessage() for r in caplog.records if r.name == "core.cache"]
    assert len(lines) == 1 and lines[0].startswith("cache unreachable, answering as empty")


def test_a_hanging_redis_times_out_and_what_changed_meanwhile_is_not_served_stale(
    private_redis,  # noqa: F811
):
    """Paused (a network split: connections hang), each call gives up after the socket
    timeout; a key written or deleted meanwhile is deleted from Redis once it answers, so a
    session signed out during the outage does not come back."""
    cache = _cache(private_redis)
    cache.set("session", "signed in")
    cache.set("other", "kept")
    private_redis.pause()
    cache.delete("session")  # dropped: Redis still holds "signed in"
    assert cache.get("other") is None
    private_redis.resume()
    assert cache.get("session") is None
    assert cache.get("other") == "kept"
