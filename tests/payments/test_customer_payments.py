"""A customer's own verified payment becomes a recharge once; it waits for the reseller's
sales credit when that is short and is credited, once, after the reseller's top-up; taken
back, its sale is reversed with the commission, or flagged when the balance is spent."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core import mail

from audit.models import AuditEvent
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import reseller_balance
from ledger.services import OperatorAccount, customer_account, ledger_post
from payments.models import CustomerPayment
from payments.services.customer_payments import (
    customer_payment_credit,
    customer_payment_reverse,
    customer_payments_retry,
)
from sms.models import Message
from tests.factories import CustomerFactory, MembershipFactory, ResellerFactory
from tests.world import card_topup_paid, fund

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
Status = CustomerPayment.Status


def _paid(customer, amount="20", txn_id=None) -> CustomerPayment:
    return CustomerPayment.objects.create(
        reseller=customer.reseller,
        customer=customer,
        provider=CustomerPayment.Provider.PAYPAL,
        status=Status.PAID,
        amount=Decimal(amount),
        currency="EUR",
        reference=f"CP{uuid.uuid4().hex[:12].upper()}",
        provider_payment_id=txn_id or uuid.uuid4().hex[:17].upper(),
        form_key=uuid.uuid4().hex,
    )


def _recharges(customer) -> int:
    return LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.RECHARGE, metadata__customer_id=customer.pk
    ).count()


@pytest.fixture
def shop():
    reseller = ResellerFactory(commission_rate=Decimal("10.00"))
    return reseller, CustomerFactory(reseller=reseller)


def test_a_paid_payment_is_credited_once_however_often_it_runs(shop):
    reseller, customer = shop
    fund(reseller, net="100.00", vat="19.00")
    payment = _paid(customer, "20", txn_id="8AB12345CD6789012")
    for _ in range(10):
        assert customer_payment_credit(payment_id=payment.pk).status == Status.CREDITED
    payment.refresh_from_db()
    assert payment.recharge.idempotency_key == "recharge:paypal:8AB12345CD6789012"
    assert payment.recharge.actor_id is None
    assert _recharges(customer) == 1
    assert customer_account(customer=customer).balance == Decimal("20")
    assert reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT) == Decimal("80")
    assert reseller_balance(reseller=reseller, kind=Kind.COMMISSION) == Decimal("2")
    assert AuditEvent.objects.filter(action="customer_payment.credited").count() == 1
    # The customer is told the new balance by SMS, as after any recharge.
    assert Message.objects.filter(recipient=customer.phone).count() == 1


def test_short_sales_credit_waits_then_credits_once_after_the_top_up(
    shop, django_capture_on_commit_callbacks
):
    reseller, customer = shop
    MembershipFactory(reseller=reseller)
    fund(reseller, net="10.00", vat="1.90")
    payment = _paid(customer, "20")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert customer_payment_credit(payment_id=payment.pk).status == Status.NEEDS_FUNDS
    assert _recharges(customer) == 0
    assert customer_account(customer=customer).balance == Decimal("0")
    # The reseller is told once, in its language, where to top up.
    told = [m for m in mail.outbox if reseller.contact_email in m.to]
    assert len(told) == 1 and payment.reference in told[0].body
    assert AuditEvent.objects.filter(action="customer_payment.needs_funds").count() == 1
    # The beat job finds it still short.
    assert customer_payments_retry() == 0
    # A paid top-up of 100 credits the waiting payment, exactly once.
    with django_capture_on_commit_callbacks(execute=True):
        card_topup_paid(reseller, actor=None, net="100.00")
    payment.refresh_from_db()
    assert payment.status == Status.CREDITED
    assert customer_payments_retry() == 0
    assert customer_payment_credit(payment_id=payment.pk).status == Status.CREDITED
    assert _recharges(customer) == 1
    assert customer_account(customer=customer).balance == Decimal("20")
    assert reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT) == Decimal("90")


def test_a_reversed_payment_reverses_its_sale_and_the_commission(shop):
    reseller, customer = shop
    fund(reseller, net="100.00", vat="19.00")
    payment = _paid(customer, "20")
    customer_payment_credit(payment_id=payment.pk)
    for _ in range(3):
        payment = customer_payment_reverse(payment_id=payment.pk, reason="Refunded")
    assert payment.status == Status.REVERSED
    assert payment.reversal.reverses_id == payment.recharge_id
    assert customer_account(customer=customer).balance == Decimal("0")
    assert reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT) == Decimal("100")
    assert reseller_balance(reseller=reseller, kind=Kind.COMMISSION) == Decimal("0")
    assert LedgerTransaction.objects.filter(reverses=payment.recharge).count() == 1


def test_a_reversal_the_spent_balance_cannot_cover_is_flagged(shop):
    reseller, customer = shop
    fund(reseller, net="100.00", vat="19.00")
    payment = _paid(customer, "20")
    customer_payment_credit(payment_id=payment.pk)
    ledger_post(
        kind=LedgerTransaction.Kind.USAGE,
        currency="EUR",
        legs=[(customer_account(customer=customer), "-12"), (OperatorAccount(Kind.REVENUE), "12")],
        idempotency_key="usage",
    )
    payment = customer_payment_reverse(payment_id=payment.pk, reason="Reversed")
    assert payment.status == Status.FLAGGED and "8" in payment.attention
    assert customer_account(customer=customer).balance == Decimal("8")
    assert reseller_balance(reseller=reseller, kind=Kind.COMMISSION) == Decimal("2")


def test_a_payment_reversed_before_it_was_credited_is_never_credited(shop):
    reseller, customer = shop
    payment = _paid(customer, "20")
    customer_payment_credit(payment_id=payment.pk)  # short: waits
    customer_payment_reverse(payment_id=payment.pk, reason="Reversed")
    fund(reseller, net="100.00", vat="19.00")
    assert customer_payments_retry() == 0
    payment.refresh_from_db()
    assert payment.status == Status.REVERSED and payment.recharge_id is None
    assert _recharges(customer) == 0
