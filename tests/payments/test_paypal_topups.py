"""PayPal top-ups end to end: Orders v2 through paypal-server-sdk against the fake, its
webhooks verified by PayPal's verify-webhook-signature call, the capture checked against the
order, and refunds."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from ledger.models import LedgerAccount
from payments.models import PaymentEvent, TopUp
from payments.services.refunds import refund_request
from tests.factories import MembershipFactory, StaffFactory
from tests.payments.helpers import german_reseller
from tests.payments.portal import (
    clearing,
    forward_paypal,
    open_topup,
    post_webhook,
    sales_credit,
    topup_postings,
)

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def _approved(paypal_portal, reseller, actor=None) -> TopUp:
    topup = open_topup(reseller, method="paypal", actor=actor)
    assert topup.checkout_url.startswith(paypal_portal.base_url)
    paypal_portal.approve(topup.provider_payment_id)
    return topup


def test_return_page_captures_and_webhooks_replayed_credit_once(paypal_portal):
    reseller = german_reseller()
    admin = MembershipFactory(reseller=reseller, role=Role.ADMIN).user
    topup = _approved(paypal_portal, reseller, actor=admin)
    client = Client()
    client.force_login(admin)
    client.get(reverse("payments:topup-return", args=[topup.pk]))
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup.provider_charge_id
    assert set(forward_paypal(paypal_portal, times=10)) == {200}
    assert topup_postings(topup) == 1
    assert sales_credit(reseller) == Decimal("100.00")
    assert clearing(Kind.CLEARING_PAYPAL) == Decimal("-119.00")
    assert len(paypal_portal.captures) == 1  # captured once, whoever asked


def test_the_approval_webhook_alone_captures_and_credits(
    paypal_portal, django_capture_on_commit_callbacks
):
    reseller = german_reseller()
    topup = _approved(paypal_portal, reseller)  # the payer never comes back
    with django_capture_on_commit_callbacks(execute=True):
        # CHECKOUT.ORDER.APPROVED → the capture task, after commit
        assert forward_paypal(paypal_portal) == [200]
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    forward_paypal(paypal_portal, times=3)  # PAYMENT.CAPTURE.COMPLETED
    assert topup_postings(topup) == 1 and sales_credit(reseller) == Decimal("100.00")


def test_forged_or_tampered_paypal_webhook_credits_nothing(paypal_portal):
    reseller = german_reseller()
    topup = _approved(paypal_portal, reseller)
    record = paypal_portal.deliveries[-1]
    event = json.loads(record["body"])
    event["event_type"] = "PAYMENT.CAPTURE.COMPLETED"
    tampered = json.dumps(event).encode()
    assert post_webhook("paypal", tampered, record["headers"]).status_code == 400
    wrong_hook = paypal_portal.signed(record["event"], webhook_id="WH-SOMEONE-ELSE")
    assert post_webhook("paypal", *wrong_hook).status_code == 400
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.CREATED and sales_credit(reseller) == 0
    assert PaymentEvent.objects.filter(failed_check=PaymentEvent.Check.BAD_SIGNATURE).count() == 2


def test_capture_for_another_amount_credits_nothing(paypal_portal):
    reseller = german_reseller()
    topup = _approved(paypal_portal, reseller)
    resource = {
        "id": "CAPTURE-FORGED",
        "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "1.19"},
        "custom_id": topup.reference,
        "invoice_id": topup.reference,
        "supplementary_data": {"related_ids": {"order_id": topup.provider_payment_id}},
    }
    event = paypal_portal.event_for("PAYMENT.CAPTURE.COMPLETED", resource)
    assert post_webhook("paypal", *paypal_portal.signed(event)).status_code == 200
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.CREATED and sales_credit(reseller) == 0
    assert topup.events.get(failed_check=PaymentEvent.Check.WRONG_AMOUNT).amount == Decimal("1.19")


def test_pending_capture_waits_then_credits(paypal_portal, django_capture_on_commit_callbacks):
    reseller = german_reseller()
    topup = _approved(paypal_portal, reseller)
    paypal_portal.capture_pending_next()
    with django_capture_on_commit_callbacks(execute=True):
        forward_paypal(paypal_portal)  # approval → capture comes back PENDING
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PENDING and sales_credit(reseller) == 0
    paypal_portal.complete_pending(topup.provider_charge_id)
    forward_paypal(paypal_portal, times=2)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and sales_credit(reseller) == Decimal("100.00")


def test_staff_refund_through_paypal(paypal_portal, django_capture_on_commit_callbacks):
    reseller = german_reseller()
    topup = _approved(paypal_portal, reseller)
    with django_capture_on_commit_callbacks(execute=True):
        forward_paypal(paypal_portal)
    refund_request(topup_id=topup.pk, gross="119.00", reason="r", actor=StaffFactory(), key="p")
    forward_paypal(paypal_portal, times=3)  # PAYMENT.CAPTURE.REFUNDED for our own refund
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.REFUNDED and sales_credit(reseller) == 0
    assert topup.refunds.count() == 1
