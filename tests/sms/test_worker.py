"""A real Celery worker on Redis delivers SMS to the fake gateway, through an outage.

The web side is this test process (Redis broker instead of eager tasks); the worker is
`celery -A config worker` in a subprocess with the project's settings, reading the test
database and sending to the loopback fake gateway.
"""

import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from sms.models import Message
from sms.services import message_queue
from tests.celery_worker import broker, celery_worker  # noqa: F401 - broker is a fixture
from tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def sms_worker(broker, gateway):  # noqa: F811 - the imported fixture
    env = {
        "CELERY_BROKER_URL": broker,
        "DATABASE_URL": _test_database_url(),
        "SMS_BACKEND": "http",
        "SMS_HTTP_URL": gateway.url,
        "SMS_HTTP_TOKEN": gateway.token,
        "SMS_HTTP_TIMEOUT": "2",
        "SMS_RETRY_BASE_SECONDS": "1",
        "SMS_RETRY_MAX_SECONDS": "2",
        "SMS_MAX_ATTEMPTS": "30",
    }
    with celery_worker(name="sms", env=env, drop_prefixes=("DJANGO_", "SMS_")) as process:
        yield process


def _wait(condition, seconds: float = 45) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _log(process) -> str:
    process.terminate()
    return process.communicate(timeout=15)[0][-4000:]


def test_worker_delivers_every_message_once_through_a_gateway_outage(gateway, sms_worker):
    gateway.mode = "down"
    customer = CustomerFactory(phone="+491791234567", language="de")
    with transaction.atomic():
        messages = [
            message_queue(
                reseller=customer.reseller,
                recipient=customer.phone,
                template="customer_recharged",
                context={"amount": 5, "balance": 5 * n, "currency": "EUR", "reseller_name": "K"},
                customer=customer,
            )
            for n in range(1, 6)
        ]
    references = {str(m.pk) for m in messages}

    # Every message reaches the gateway and is refused at least twice: retries happen.
    def refused_twice():
        refused = [r.payload["reference"] for r in gateway.requests if r.status == 503]
        return all(refused.count(ref) >= 2 for ref in references)

    if not _wait(refused_twice):
        pytest.fail("no retries while the gateway was down:\n" + _log(sms_worker))
    assert gateway.accepted() == []

    gateway.mode = "ok"

    def all_sent():
        statuses = set(Message.objects.filter(pk__in=references).values_list("status", flat=True))
        return statuses == {Message.Status.SENT}

    if not _wait(all_sent):
        pytest.fail("not all delivered once the gateway was back:\n" + _log(sms_worker))
    time.sleep(2.5)  # any late duplicate retry would arrive now
    assert gateway.accepted_per_reference() == dict.fromkeys(references, 1)
    texts = sorted(p["text"] for p in gateway.accepted())
    assert all("Neues Guthaben" in text for text in texts)
