"""Issue 11, point 6: Redis (broker and cache, as production runs it) dies; the portal goes on.

A private Redis (tests/private_redis.py, never the machine's shared one) is this process's
Celery broker (db 0) and cache (db 1, `core.cache.DegradingRedisCache`, as production's
settings make of CACHE_URL), with `cached_db` sessions and DEBUG off. It is killed; then a
person signs in, opens a signed-in page and sells a recharge: every answer is the normal one,
the money moves once, and the SMS stays queued. Redis comes back, a real worker starts, the
beat's re-send job runs: the SMS is sent, once.
"""

import re
import time

import pytest

from customers.models import Customer
from ledger.models import LedgerTransaction
from sms.models import Message
from sms.tasks import messages_resend_stuck
from tests.celery_worker import broker_at, celery_worker, wait_until, worker_database_url
from tests.factories import PASSWORD
from tests.private_redis import private_redis  # noqa: F401 - a fixture
from tests.world import build_world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

PHONE = "+491791234567"


@pytest.fixture
def redis_everywhere(private_redis, settings, monkeypatch):  # noqa: F811
    """The private Redis as broker and cache of this process, as in production."""
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.DegradingRedisCache", "LOCATION": private_redis.url(1)}
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    with broker_at(monkeypatch, private_redis.url(0)):
        yield private_redis


def test_with_redis_dead_people_sign_in_and_sell_and_the_sms_goes_once_it_is_back(
    redis_everywhere, client
):
    world = build_world()
    user = world.a.user
    client.get("/accounts/login/")  # a session and a CSRF cookie while Redis is up

    redis_everywhere.kill()

    signed_in = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content[:2000]
    assert client.get("/r/").status_code == 200  # a signed-in page, the session from the db
    form = client.get("/r/recharge/")
    assert form.status_code == 200
    key = re.search(r'name="key" value="([^"]+)"', form.text).group(1)
    data = {"phone": PHONE, "amount": "10.0000", "key": key}
    assert client.post("/r/recharge/", {**data, "step": "review"}).status_code == 200
    done = client.post("/r/recharge/", {**data, "step": "confirm"})
    assert done.status_code == 200
    assert 'data-testid="recharge-done"' in done.text
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1
    message = Message.objects.get(customer=Customer.objects.get(phone=PHONE))
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 0)

    redis_everywhere.start()  # a new, empty Redis on the same port
    env = {
        "CELERY_BROKER_URL": redis_everywhere.url(0),
        "DATABASE_URL": worker_database_url(),
        "SMS_BACKEND": "database",
        "SMS_STUCK_AFTER_SECONDS": "1",
    }
    with celery_worker(name="back", env=env, drop_prefixes=("DJANGO_", "SMS_")) as worker:
        time.sleep(1.5)  # queued for longer than SMS_STUCK_AFTER_SECONDS
        messages_resend_stuck.delay()  # what beat sends every SMS_STUCK_CHECK_SECONDS

        def sent():
            return Message.objects.get(pk=message.pk).status == Message.Status.SENT

        if not wait_until(sent):
            worker.terminate()
            pytest.fail("the re-send job did not send it:\n" + worker.communicate()[0][-4000:])
    message.refresh_from_db()
    assert message.attempts == 1 and message.provider_message_id == f"inbox-{message.pk}"
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1
    # Redis is back: the session still holds (read through, nothing stale).
    assert client.get("/r/").status_code == 200
