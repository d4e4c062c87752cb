"""A real Celery worker on Redis delivers SMS to the fake gateway, through an outage.

The web side is this test process (Redis broker instead of eager tasks); the worker is
`celery -A config worker` in a subprocess with the project's settings, reading the test
database and sending to the loopback fake gateway.
"""

import os
import signal
import time
from pathlib import Path

import pytest
from django.db import transaction

from sms.models import Message
from sms.services import message_queue
from sms.tasks import messages_resend_stuck
from tests.celery_worker import (  # noqa: F401 - broker is a fixture
    broker,
    celery_worker,
    wait_until,
    worker_database_url,
    worker_log,
)
from tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def _worker_env(broker_url: str, gateway) -> dict[str, str]:
    return {
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": worker_database_url(),
        "SMS_BACKEND": "http",
        "SMS_HTTP_URL": gateway.url,
        "SMS_HTTP_TOKEN": gateway.token,
        "SMS_HTTP_TIMEOUT": "2",
        "SMS_RETRY_BASE_SECONDS": "1",
        "SMS_RETRY_MAX_SECONDS": "2",
        "SMS_MAX_ATTEMPTS": "30",
    }


@pytest.fixture
def sms_worker(broker, gateway):  # noqa: F811 - the imported fixture
    env = _worker_env(broker, gateway)
    with celery_worker(name="sms", env=env, drop_prefixes=("DJANGO_", "SMS_")) as process:
        yield process


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
    references = {str(m.reference) for m in messages}
    ids = [m.pk for m in messages]

    # Every message reaches the gateway and is refused at least twice: retries happen.
    def refused_twice():
        refused = [r.payload["reference"] for r in gateway.requests if r.status == 503]
        return all(refused.count(ref) >= 2 for ref in references)

    if not wait_until(refused_twice):
        pytest.fail("no retries while the gateway was down:\n" + worker_log(sms_worker))
    assert gateway.accepted() == []

    gateway.mode = "ok"

    def all_sent():
        statuses = set(Message.objects.filter(pk__in=ids).values_list("status", flat=True))
        return statuses == {Message.Status.SENT}

    if not wait_until(all_sent):
        pytest.fail("not all delivered once the gateway was back:\n" + worker_log(sms_worker))
    time.sleep(2.5)  # any late duplicate retry would arrive now
    assert gateway.accepted_per_reference() == dict.fromkeys(references, 1)
    texts = sorted(p["text"] for p in gateway.accepted())
    assert all("Neues Guthaben" in text for text in texts)


def test_a_worker_killed_mid_send_and_the_resend_job_deliver_every_sms_exactly_once(
    broker,  # noqa: F811 - the imported fixture
    gateway,
):
    """Issue 11, point 7. The gateway accepts the first message and holds its answer; the
    worker sending it is killed (SIGKILL) before the answer arrives, so the row stays
    "sending". After the short lease the re-send job sends it again on a new worker, with
    the same reference: the gateway drops the duplicate, and every SMS arrives once."""
    gateway.mode = "hold"
    env = {
        **_worker_env(broker, gateway),
        "SMS_HTTP_TIMEOUT": "30",  # the killed worker would still be waiting
        "SMS_SENDING_LEASE_SECONDS": "2",
    }
    customer = CustomerFactory(phone="+491791234567", language="en")
    with transaction.atomic():
        messages = [
            message_queue(
                reseller=customer.reseller,
                recipient=customer.phone,
                template="customer_welcome",
                context={
                    "phone": customer.phone,
                    "password": f"Pass-{n}-word",
                    "portal_url": "https://portal.example.test/my/",
                    "reseller_name": "K",
                },
                customer=customer,
            )
            for n in range(3)
        ]
    references = {str(m.reference) for m in messages}

    with celery_worker(name="doomed", env=env, drop_prefixes=("DJANGO_", "SMS_")) as doomed:
        if not gateway.holding.wait(timeout=45):
            pytest.fail("the worker sent nothing:\n" + worker_log(doomed))
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=15)
    held = gateway.requests[0].payload["reference"]
    held_message = Message.objects.get(reference=held)
    assert held_message.status == Message.Status.SENDING  # killed before the answer
    assert gateway.delivered() == {held: 1}  # ... which the gateway had accepted
    gateway.release.set()  # the held answer goes to a dead socket

    with celery_worker(name="next", env=env, drop_prefixes=("DJANGO_", "SMS_")) as worker:
        time.sleep(2.5)  # past the lease
        messages_resend_stuck.delay()  # what beat sends every SMS_STUCK_CHECK_SECONDS

        def all_sent():
            statuses = Message.objects.filter(reference__in=references).values_list(
                "status", flat=True
            )
            return set(statuses) == {Message.Status.SENT}

        if not wait_until(all_sent):
            pytest.fail("not all sent after the worker was killed:\n" + worker_log(worker))
        time.sleep(2)  # a late duplicate would arrive now

    # Exactly once each, counted by the gateway after dropping duplicates ...
    assert gateway.delivered() == dict.fromkeys(references, 1)
    # ... and the raw log shows the retry of the held one, with the same reference and text.
    tries = [r for r in gateway.requests if r.payload["reference"] == held]
    assert [r.duplicate for r in tries] == [False, True]
    assert tries[0].payload["text"] == tries[1].payload["text"]
    assert "Password: Pass-" in tries[1].payload["text"]  # the password kept for the retry
    held_message.refresh_from_db()
    assert held_message.provider_message_id == gateway.delivered_ids[held]
    assert held_message.secret_body == "" and "Pass-" not in held_message.body
    assert all(r.payload["reference"] in references for r in gateway.requests)
