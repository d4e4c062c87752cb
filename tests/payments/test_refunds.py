"""Refunds and chargebacks on card top-ups: through the provider (the real SDK against the
fake), never driving sales credit below zero, and never counted twice with their webhook."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import OperatorAccount, ledger_post, reseller_account
from payments.errors import RefundError
from payments.models import TopUp, TopUpRefund
from payments.services.refunds import refund_flagged_retry, refund_request
from tests.factories import StaffFactory
from tests.payments.helpers import german_reseller
from tests.payments.portal import card_paid, clearing, forward, sales_credit, spend

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def test_partial_refund_goes_through_stripe_and_reverses_its_share(stripe_portal):
    reseller = german_reseller()
    topup = card_paid(stripe_portal, reseller)
    staff = StaffFactory()
    refund = refund_request(
        topup_id=topup.pk, gross="59.50", reason="customer asked", actor=staff, key="k1"
    )
    assert refund.status == TopUpRefund.Status.SUCCEEDED and refund.provider_refund_id
    assert (refund.net, refund.vat) == (Decimal("50.00"), Decimal("9.50"))
    assert sales_credit(reseller) == Decimal("50.00")
    assert clearing(Kind.VAT_PAYABLE) == Decimal("9.50")
    assert clearing(Kind.CLEARING_STRIPE) == Decimal("-59.50")
    assert stripe_portal.fake.payment_intents[topup.provider_charge_id]  # known to Stripe
    # Stripe's charge.refunded for our own refund changes nothing more.
    assert forward("stripe", stripe_portal.sink, times=3) == [200, 200, 200]
    assert sales_credit(reseller) == Decimal("50.00")
    assert TopUpRefund.objects.filter(topup=topup).count() == 1
    # The same form sent again refunds once.
    again = refund_request(topup_id=topup.pk, gross="59.50", reason="x", actor=staff, key="k1")
    assert again.pk == refund.pk and sales_credit(reseller) == Decimal("50.00")


def test_refund_of_the_rest_takes_exactly_what_is_left(stripe_portal):
    reseller = german_reseller()
    topup = card_paid(stripe_portal, reseller, net="20.50")  # 3.90 VAT, 24.40 gross
    staff = StaffFactory()
    refund_request(topup_id=topup.pk, gross="10.00", reason="a", actor=staff, key="a")
    last = refund_request(topup_id=topup.pk, gross="14.40", reason="b", actor=staff, key="b")
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.REFUNDED
    assert sales_credit(reseller) == 0
    assert clearing(Kind.VAT_PAYABLE) == 0 and clearing(Kind.CLEARING_STRIPE) == 0
    assert last.net + last.vat == Decimal("14.40")


def test_more_than_paid_is_refused(stripe_portal):
    topup = card_paid(stripe_portal, german_reseller())
    with pytest.raises(RefundError) as refused:
        refund_request(topup_id=topup.pk, gross="119.01", reason="x", actor=StaffFactory(), key="x")
    assert refused.value.code == "more-than-paid" and "119" in str(refused.value)


def test_refund_never_drives_sales_credit_below_zero(stripe_portal):
    reseller = german_reseller()
    topup = card_paid(stripe_portal, reseller)
    spend(reseller, "80.00")
    with pytest.raises(RefundError) as refused:
        refund_request(topup_id=topup.pk, gross="119.00", reason="x", actor=StaffFactory(), key="y")
    assert refused.value.code == "credit-spent"
    assert "20" in str(refused.value)  # says how much is still available
    assert sales_credit(reseller) == Decimal("20.00")
    assert not stripe_portal.fake.refunds  # nothing was asked of Stripe
    topup.refresh_from_db()
    assert topup.refunded_gross == 0


def test_refund_stripe_refuses_is_posted_back(stripe_portal):
    reseller = german_reseller()
    topup = card_paid(stripe_portal, reseller)
    stripe_portal.fake.outage = 5  # Stripe answers 500
    with pytest.raises(RefundError) as refused:
        refund_request(topup_id=topup.pk, gross="119.00", reason="x", actor=StaffFactory(), key="z")
    assert refused.value.code == "provider-unavailable"
    assert sales_credit(reseller) == Decimal("100.00")
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup.refunded_gross == 0
    assert TopUpRefund.objects.get(key="z").status == TopUpRefund.Status.FAILED


def test_dashboard_refund_arriving_by_webhook_reverses_once(stripe_portal):
    reseller = german_reseller()
    topup = card_paid(stripe_portal, reseller)
    stripe_portal.fake.refund_on_dashboard(topup.provider_charge_id, 2380)  # 23.80
    forward("stripe", stripe_portal.sink, times=10)
    assert sales_credit(reseller) == Decimal("80.00")
    refund = TopUpRefund.objects.get(topup=topup)
    assert refund.source == TopUpRefund.Source.PROVIDER and refund.gross == Decimal("23.80")


def test_chargeback_when_the_credit_is_gone_is_flagged_then_posted(stripe_portal):
    reseller = german_reseller()
    topup = card_paid(stripe_portal, reseller)
    spend(reseller, "100.00")
    stripe_portal.fake.dispute(topup.provider_charge_id, 11900)
    forward("stripe", stripe_portal.sink, times=2)
    refund = TopUpRefund.objects.get(topup=topup)
    assert refund.status == TopUpRefund.Status.FLAGGED and refund.ledger_transaction is None
    topup.refresh_from_db()
    assert topup.attention and sales_credit(reseller) == 0
    with pytest.raises(RefundError):
        refund_flagged_retry(refund_id=refund.pk, actor=StaffFactory())
    ledger_post(  # the reseller tops up by other means; staff then post the chargeback
        kind=LedgerTransaction.Kind.ADJUSTMENT,
        currency="EUR",
        legs=[
            (OperatorAccount(Kind.BANK), "-100.00"),
            (reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT), "100.00"),
        ],
        idempotency_key=f"adj-{uuid.uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
    )
    refund_flagged_retry(refund_id=refund.pk, actor=StaffFactory())
    topup.refresh_from_db()
    assert sales_credit(reseller) == 0 and topup.attention == ""
