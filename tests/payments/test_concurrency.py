"""One payment, many messengers at once: the webhook (and its replays) and the payer's return
page race on PostgreSQL, each in its own connection; exactly one posting wins."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from payments.models import PaymentEvent, TopUp
from tests.factories import MembershipFactory
from tests.ledger.test_concurrency import run_concurrently
from tests.payments.helpers import german_reseller
from tests.payments.portal import open_topup, post_webhook, sales_credit, topup_postings

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_webhooks_and_return_page_at_once_post_once(stripe_portal):
    reseller = german_reseller()
    admin = MembershipFactory(reseller=reseller, role=Role.ADMIN).user
    topup = open_topup(reseller, method="stripe", actor=admin)
    stripe_portal.fake.pay(topup.provider_payment_id)
    body, headers = stripe_portal.sink.received[0]
    return_url = reverse("payments:topup-return", args=[topup.pk])

    def work(i: int):
        if i % 3 == 0:
            client = Client()
            client.force_login(admin)
            return client.get(return_url).status_code
        return post_webhook("stripe", body, headers).status_code

    outcomes = run_concurrently(12, work)
    assert all(outcome in (200, 302) for outcome in outcomes), outcomes
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    assert topup_postings(topup) == 1
    assert sales_credit(reseller) == Decimal("100.00")
    assert PaymentEvent.objects.filter(topup=topup, verified=True).count() == 1
