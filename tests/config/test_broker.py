"""config.broker: Celery's Redis transport publishing through one client per channel, against
a real Redis (TEST_REDIS_URL), including what happens when the connection or the pool goes."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis

from config import broker
from config.celery import app

pytestmark = pytest.mark.redis

QUEUE = "tessera-broker-test"


@pytest.fixture
def redis_url():
    url = settings.TEST_REDIS_URL
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def connection(redis_url):
    with Connection(redis_url, transport="config.broker:Transport") as conn:
        yield conn


@pytest.fixture
def clients_made(monkeypatch) -> list:
    """Every Redis client a channel of ours builds (kombu's _create_client)."""
    made = []
    original = broker.Channel._create_client

    def spy(self, asynchronous=False):
        client = original(self, asynchronous=asynchronous)
        if not asynchronous:
            made.append(client)
        return client

    monkeypatch.setattr(broker.Channel, "_create_client", spy)
    return made


def _bodies(conn: Connection, count: int) -> list:
    queue = conn.SimpleQueue(QUEUE)
    try:
        bodies = []
        for _ in range(count):
            message = queue.get(timeout=5)
            message.ack()
            bodies.append(message.payload)
        return bodies
    finally:
        queue.close()


def test_celery_uses_it_for_the_redis_broker_and_kombu_is_left_alone(redis_url, monkeypatch):
    monkeypatch.setitem(app.conf, "broker_url", redis_url)
    monkeypatch.setitem(app.conf, "broker_transport", "config.broker:Transport")
    with app.connection_for_write() as conn:
        assert isinstance(conn.transport, broker.Transport)
    # No global change: any other kombu connection to Redis gets kombu's own transport.
    assert TRANSPORT_ALIASES["redis"] == "kombu.transport.redis:Transport"
    with Connection(redis_url) as plain:
        assert type(plain.transport) is kombu_redis.Transport


def test_messages_are_published_through_one_client_per_channel(connection, clients_made):
    producer = connection.SimpleQueue(QUEUE)
    for n in range(5):
        producer.put({"n": n})
    producer.close()
    channel = connection.default_channel
    assert len(clients_made) == 1
    assert clients_made[0].connection_pool is channel.pool
    assert _bodies(connection, 5) == [{"n": n} for n in range(5)]


def test_a_new_pool_gets_a_new_client(connection, clients_made):
    """kombu replaces a channel's pool (after a fork, on a connection error); the next message
    goes out through a client on the new pool, not the old one."""
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 1})
    channel = queue.channel
    old_pool = channel.pool
    channel._after_fork()  # what kombu runs in a forked child: the pool is dropped
    queue.put({"n": 2})
    queue.close()
    assert channel.pool is not old_pool
    assert len(clients_made) == 2
    assert clients_made[1].connection_pool is channel.pool
    assert _bodies(connection, 2) == [{"n": 1}, {"n": 2}]


def test_a_connection_the_server_dropped_is_reconnected(connection, clients_made, redis_url):
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 1})
    (client,) = clients_made
    client_id = client.client_id()  # the pooled connection publishing goes through
    killed = redis.Redis.from_url(redis_url).client_kill_filter(_id=client_id)
    assert killed == 1
    queue.put({"n": 2})  # redis-py reconnects the shared client's pool
    queue.close()
    assert len(clients_made) == 1
    assert _bodies(connection, 2) == [{"n": 1}, {"n": 2}]
