"""The same PayPal IPN posted many times at once, each post in its own connection and its task
run right after its commit: they race on PostgreSQL, and exactly one recharge is posted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from ledger.models import LedgerTransaction
from ledger.services import customer_account
from ledger.verify import ledger_verify
from payments.fakes.paypal_ipn import FakePayPalIpn
from payments.fakes.server import serve
from payments.models import CustomerPayment, PaypalIpn
from tests.ledger.test_concurrency import run_concurrently
from tests.payments.ipn import completed, order, post_ipn, shop
from tests.world import fund

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_replays_at_once_credit_once(settings):
    fake = FakePayPalIpn()
    running = serve({"paypal-ipn": fake})
    settings.PAYPAL_IPN_VERIFY_URL = f"{running.base_url}/paypal-ipn/cgi-bin/webscr"
    try:
        kiosk = shop("Kiosk Nord", "shop@kiosk-nord.example", "S8XGHLYDW9T3S")
        fund(kiosk.reseller)
        payment = order(kiosk)
        body = completed(fake, payment, kiosk.account)
        outcomes = run_concurrently(8, lambda i: post_ipn(Client(), kiosk.url, body).status_code)
    finally:
        running.stop()
    assert outcomes == [200] * 8
    payment.refresh_from_db()
    assert payment.status == CustomerPayment.Status.CREDITED
    results = sorted(PaypalIpn.objects.values_list("outcome", flat=True))
    assert results == sorted([PaypalIpn.Outcome.APPLIED] + [PaypalIpn.Outcome.DUPLICATE] * 7)
    assert (
        LedgerTransaction.objects.filter(
            kind=LedgerTransaction.Kind.RECHARGE, metadata__customer_id=kiosk.customer.pk
        ).count()
        == 1
    )
    assert customer_account(customer=kiosk.customer).balance == Decimal("20")
    assert ledger_verify().clean
