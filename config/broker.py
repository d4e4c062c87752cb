"""Celery's Redis transport, publishing through one Redis client per channel.

kombu's redis Channel.conn_or_acquire() builds a new `redis.Redis` object for every message
it publishes, and building one copies about 170 response callbacks into a case-insensitive
dict: about 0.4 ms of CPU per `.delay()`, most of what publishing costs a web request (an
SMS after every recharge). A `redis.Redis` object is safe to share between threads (each
command takes a connection from the pool), so the channel keeps one, built again only when
the channel's pool changes (kombu replaces the pool after a connection error).

The settings install it for `redis://` brokers through Celery's `broker_transport`
(CELERY_BROKER_TRANSPORT = "config.broker:Transport"), so only Celery's connections use it;
kombu's global transport aliases stay as they are. It overrides `conn_or_acquire` and relies
on kombu's `_create_client` and `pool`: kombu is pinned to its minor version (pyproject.toml),
and tests/config/test_broker.py runs it against a real Redis, reconnects included.
"""

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _shared_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        shared = self._shared_client
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._shared_client = self._create_client()
        yield shared


class Transport(kombu_redis.Transport):
    Channel = Channel
