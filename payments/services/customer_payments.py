"""Crediting a customer's own payment as a recharge, waiting for funds, and reversing it.

A payment the provider confirmed (a VERIFIED PayPal IPN into the reseller's own account, a
card payment through the operator's Stripe) is `paid`. `customer_payment_credit` makes it a
recharge of the customer through the one recharge service (customers.services
.customer_recharge), with the provider's payment id as the idempotency key and no person as
actor: the reseller's sales credit funds it and the reseller earns its commission as on any
sale. When the sales credit is short the payment waits as `needs_funds`; the reseller is told
once (page and e-mail) and the payment is credited after its next top-up
(`customer_payments_fund`, enqueued by the top-up's fulfilment, and the beat job
`customer_payments_retry` for credit that arrives any other way). The recharge is posted once
whatever runs twice: the idempotency key returns the first posting to any replay.

A payment the customer takes back (PayPal Refunded/Reversed, a card refund or chargeback)
reverses its sale with the commission clawed back (customers.reversals); when the customer's
balance no longer covers it, the payment is flagged for people to look at.
"""

from __future__ import annotations

import logging

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from audit.services import audit_record
from core.errors import DomainError
from core.money import money_display
from core.net import portal_url
from core.queue import enqueue_on_commit
from customers.reversals import SaleReversalRefused, sale_reverse_locked
from customers.services import SALES_CREDIT_SHORT_CODE, customer_recharge
from payments.models import CustomerPayment

logger = logging.getLogger(__name__)

Status = CustomerPayment.Status


def recharge_key(payment: CustomerPayment) -> str:
    """The recharge's idempotency key: the provider's id of the payment (PayPal's txn_id)."""
    return f"{payment.provider}:{payment.provider_payment_id}"


def customer_payment_lock(payment_id: int) -> CustomerPayment:
    return (
        CustomerPayment.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer")
        .get(pk=payment_id)
    )


def customer_payment_credit(*, payment_id: int) -> CustomerPayment:
    """Credit a paid customer payment to the customer's balance as a recharge, or leave it
    waiting for the reseller's sales credit. Safe to run any number of times, at once."""
    payment = CustomerPayment.objects.select_related("reseller", "customer").get(pk=payment_id)
    if payment.status not in CustomerPayment.WAITING:
        return payment
    try:
        result = customer_recharge(
            reseller=payment.reseller,
            actor=None,
            phone=payment.customer.phone,
            amount=payment.amount,
            idempotency_key=recharge_key(payment),
        )
    except DomainError as exc:
        if exc.code == SALES_CREDIT_SHORT_CODE:
            return _needs_funds(payment_id=payment.pk)
        return _flag(payment_id=payment.pk, attention=str(exc))
    return _credited(payment_id=payment.pk, recharge=result.transaction)


@transaction.atomic(durable=True)
def _credited(*, payment_id: int, recharge) -> CustomerPayment:
    payment = customer_payment_lock(payment_id)
    if payment.status in CustomerPayment.WAITING:
        payment.status = Status.CREDITED
        payment.recharge = recharge
        payment.credited_at = timezone.now()
        payment.attention = ""
        payment.save(update_fields=["status", "recharge", "credited_at", "attention", "updated_at"])
        audit_record(
            actor=None,
            action="customer_payment.credited",
            reseller=payment.reseller,
            obj=payment,
            data={
                "amount": str(payment.amount),
                "currency": payment.currency,
                "provider": payment.provider,
                "transaction_id": recharge.pk,
            },
        )
    elif payment.status == Status.REVERSED and payment.recharge_id is None:
        # The customer took the money back while the recharge was being posted: the sale
        # that just went through is reversed at once.
        payment.recharge = recharge
        payment.save(update_fields=["recharge", "updated_at"])
        _reverse_sale(payment, reason="payment reversed while it was credited", actor=None)
    return payment


@transaction.atomic(durable=True)
def _needs_funds(*, payment_id: int) -> CustomerPayment:
    payment = customer_payment_lock(payment_id)
    if payment.status not in CustomerPayment.WAITING:
        return payment
    first = payment.funds_requested_at is None
    payment.status = Status.NEEDS_FUNDS
    fields = ["status", "updated_at"]
    if first:
        payment.funds_requested_at = timezone.now()
        fields.append("funds_requested_at")
        audit_record(
            actor=None,
            action="customer_payment.needs_funds",
            reseller=payment.reseller,
            obj=payment,
            data={"amount": str(payment.amount), "currency": payment.currency},
        )
        enqueue_on_commit("payments.tasks.customer_payment_funds_mail", payment.pk)
    payment.save(update_fields=fields)
    return payment


@transaction.atomic(durable=True)
def _flag(*, payment_id: int, attention: str) -> CustomerPayment:
    payment = customer_payment_lock(payment_id)
    if payment.status not in CustomerPayment.WAITING:
        return payment
    customer_payment_flag_locked(payment, attention=attention)
    return payment


def customer_payment_flag_locked(
    payment: CustomerPayment, *, attention: str, actor=None, **data
) -> None:
    """Flag the (locked) payment for people, saying why, audited."""
    payment.status = Status.FLAGGED
    payment.attention = attention[:300]
    payment.save(update_fields=["status", "attention", "updated_at"])
    audit_record(
        actor=actor,
        action="customer_payment.flagged",
        reseller=payment.reseller,
        obj=payment,
        data={"attention": payment.attention, **data},
    )


def customer_payments_fund(*, reseller_id: int) -> int:
    """Credit the reseller's payments waiting for sales credit, oldest first, until one is
    still short. Returns how many were credited."""
    credited = 0
    waiting = CustomerPayment.objects.filter(
        reseller_id=reseller_id, status__in=CustomerPayment.WAITING
    ).order_by("id")
    for payment_id in waiting.values_list("pk", flat=True):
        payment = customer_payment_credit(payment_id=payment_id)
        if payment.status == Status.CREDITED:
            credited += 1
        elif payment.status == Status.NEEDS_FUNDS:
            break  # the sales credit is short: the later ones wait too
    return credited


def customer_payments_retry() -> int:
    """The beat job: every reseller with payments waiting, as `customer_payments_fund`."""
    resellers = (
        CustomerPayment.objects.filter(status__in=CustomerPayment.WAITING)
        .values_list("reseller_id", flat=True)
        .distinct()
    )
    return sum(customer_payments_fund(reseller_id=reseller_id) for reseller_id in resellers)


def customer_payment_funds_mail(*, payment_id: int) -> None:
    """Tell the reseller a customer's payment waits for its sales credit (a task, after the
    commit; in the reseller's language)."""
    payment = CustomerPayment.objects.select_related("reseller", "customer").get(pk=payment_id)
    reseller = payment.reseller
    with translation.override(reseller.language or settings.LANGUAGE_CODE):
        get_adapter().send_mail(
            "payments/email/customer_payment_needs_funds",
            reseller.contact_email,
            {
                "reseller": reseller,
                "payment": payment,
                "amount": money_display(payment.amount, payment.currency),
                "phone": payment.customer.phone,
                "url": portal_url(reverse("payments:customer-payment-list")),
            },
        )


# --- Reversal ---------------------------------------------------------------------------------


def _reverse_sale(payment: CustomerPayment, *, reason: str, actor) -> bool:
    """Reverse the payment's recharge (the payment is locked by the caller). False, with the
    payment flagged, when the customer's balance no longer covers it."""
    try:
        reversal = sale_reverse_locked(
            transaction_id=payment.recharge_id,
            actor=actor,
            reason=reason,
            idempotency_key=f"customer-payment:{payment.pk}",
        )
    except SaleReversalRefused as exc:
        customer_payment_flag_locked(payment, attention=str(exc), actor=actor, reason=reason)
        return False
    payment.status = Status.REVERSED
    payment.reversal = reversal.transaction
    payment.attention = ""
    payment.save(update_fields=["status", "reversal", "attention", "updated_at"])
    audit_record(
        actor=actor,
        action="customer_payment.reversed",
        reseller=payment.reseller,
        obj=payment,
        data={
            "reason": reason,
            "amount": str(reversal.amount),
            "currency": payment.currency,
            "commission_clawed": str(reversal.commission_clawed),
            "commission_owed": str(reversal.commission_owed),
        },
    )
    return True


def customer_payment_reverse_locked(payment: CustomerPayment, *, reason: str, actor=None) -> bool:
    """The customer took the payment back. A credited payment's sale is reversed (commission
    clawed back); one not credited yet is simply not credited; a flagged one is tried again.
    The payment is locked by the caller. True when nothing more is owed by the customer's
    balance (reversed now or before), False when flagged."""
    if payment.status == Status.REVERSED:
        return True
    if payment.recharge_id is not None and payment.reversal_id is None:
        return _reverse_sale(payment, reason=reason, actor=actor)
    payment.status = Status.REVERSED
    payment.attention = ""
    payment.save(update_fields=["status", "attention", "updated_at"])
    audit_record(
        actor=actor,
        action="customer_payment.reversed",
        reseller=payment.reseller,
        obj=payment,
        data={"reason": reason, "amount": "0", "currency": payment.currency},
    )
    return True


@transaction.atomic(durable=True)
def customer_payment_reverse(*, payment_id: int, reason: str, actor=None) -> CustomerPayment:
    """`customer_payment_reverse_locked` in its own transaction."""
    payment = customer_payment_lock(payment_id)
    customer_payment_reverse_locked(payment, reason=reason, actor=actor)
    return payment
