"""A real Celery worker on Redis processes a PayPal IPN end to end.

This test process is PayPal and the web side: the loopback fake answers the postback, the
IPN endpoint keeps the IPN and sends its task to Redis on commit; `celery -A config worker` in
a subprocess, on the test database, posts the IPN back to the fake, finds it VERIFIED and
credits the customer. The same IPN sent again is a duplicate and credits nothing more.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from ledger.models import LedgerTransaction
from ledger.services import customer_account
from ledger.verify import ledger_verify
from payments.fakes.paypal_ipn import VALIDATE_PREFIX, FakePayPalIpn
from payments.fakes.server import serve
from payments.models import CustomerPayment, PaypalIpn
from tests.celery_worker import (  # noqa: F401 - broker is a fixture
    broker,
    celery_worker,
    wait_until,
    worker_database_url,
    worker_log,
)
from tests.payments.ipn import completed, order, post_ipn, shop
from tests.world import fund

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_a_worker_verifies_and_credits_an_ipn_once(broker):  # noqa: F811
    fake = FakePayPalIpn()
    running = serve({"paypal-ipn": fake})
    try:
        verify_url = f"{running.base_url}/paypal-ipn/cgi-bin/webscr"
        kiosk = shop("Kiosk Nord", "shop@kiosk-nord.example", "S8XGHLYDW9T3S")
        fund(kiosk.reseller)
        payment = order(kiosk)
        body = completed(fake, payment, kiosk.account)
        env = {
            "CELERY_BROKER_URL": broker,
            "DATABASE_URL": worker_database_url(),
            "PAYPAL_IPN_VERIFY_URL": verify_url,
        }
        with celery_worker(name="paypal-ipn", env=env) as worker:
            answer = post_ipn(Client(), kiosk.url, body)
            assert (answer.status_code, answer.content) == (200, b"")

            def credited() -> bool:
                payment.refresh_from_db()
                return payment.status == CustomerPayment.Status.CREDITED

            if not wait_until(credited, seconds=60):
                pytest.fail("the worker did not credit the IPN:\n" + worker_log(worker))
            assert post_ipn(Client(), kiosk.url, body).status_code == 200

            def both_done() -> bool:
                return not PaypalIpn.objects.filter(outcome=PaypalIpn.Outcome.PENDING).exists()

            if not wait_until(both_done, seconds=60):
                pytest.fail("the worker did not process the replay:\n" + worker_log(worker))
    finally:
        running.stop()
    outcomes = list(PaypalIpn.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [PaypalIpn.Outcome.APPLIED, PaypalIpn.Outcome.DUPLICATE]
    assert fake.postbacks == [VALIDATE_PREFIX + body] * 2
    assert customer_account(customer=kiosk.customer).balance == Decimal("20")
    assert (
        LedgerTransaction.objects.filter(
            kind=LedgerTransaction.Kind.RECHARGE, metadata__customer_id=kiosk.customer.pk
        ).count()
        == 1
    )
    assert ledger_verify().clean
