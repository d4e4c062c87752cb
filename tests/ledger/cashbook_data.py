"""Ledger postings shaped like the Sales Panel's, built with ledger_post directly (dated in
the past with its `at`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import uuid4

from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import OperatorAccount, customer_account, ledger_post, reseller_account

Kind = LedgerAccount.Kind


def recharge(
    *,
    customer,
    amount: str,
    seller=None,
    actor=None,
    rate: str = "0.10",
    memo: str = "",
    at: dt.datetime | None = None,
) -> LedgerTransaction:
    """A recharge of `customer` sold by `seller` (its own reseller unless given): Dr sales
    credit / Cr customer balance; Dr commission expense / Cr reseller commission."""
    seller = seller or customer.reseller
    amount = Decimal(amount)
    commission = (amount * Decimal(rate)).quantize(Decimal("0.0001"))
    return ledger_post(
        kind=LedgerTransaction.Kind.RECHARGE,
        currency=str(seller.currency),
        legs=[
            (reseller_account(reseller=seller, kind=Kind.SALES_CREDIT), -amount),
            (customer_account(customer=customer, currency=str(seller.currency)), amount),
            (OperatorAccount(Kind.COMMISSION_EXPENSE), -commission),
            (reseller_account(reseller=seller, kind=Kind.COMMISSION), commission),
        ],
        idempotency_key=f"test-recharge-{uuid4()}",
        scope=f"reseller:{seller.pk}",
        reseller=seller,
        actor=actor,
        memo=memo or f"Recharge {customer.phone}",
        metadata={"customer_id": customer.pk, "amount": str(amount), "commission": str(commission)},
        at=at,
    )


def payout(*, reseller, amount: str, actor=None) -> LedgerTransaction:
    """A payout request: Dr commission / Cr payouts pending."""
    return ledger_post(
        kind=LedgerTransaction.Kind.PAYOUT,
        currency=str(reseller.currency),
        legs=[
            (reseller_account(reseller=reseller, kind=Kind.COMMISSION), -Decimal(amount)),
            (OperatorAccount(Kind.PAYOUTS_PENDING), Decimal(amount)),
        ],
        idempotency_key=f"test-payout-{uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
        actor=actor,
        memo="Pay out to bank",
    )


def transfer(*, parent, child, amount: str, actor=None) -> LedgerTransaction:
    """Credit given to a sub-reseller: Dr parent sales credit / Cr child sales credit."""
    return ledger_post(
        kind=LedgerTransaction.Kind.TRANSFER,
        currency=str(parent.currency),
        legs=[
            (reseller_account(reseller=parent, kind=Kind.SALES_CREDIT), -Decimal(amount)),
            (reseller_account(reseller=child, kind=Kind.SALES_CREDIT), Decimal(amount)),
        ],
        idempotency_key=f"test-transfer-{uuid4()}",
        scope=f"reseller:{parent.pk}",
        reseller=parent,
        actor=actor,
        memo=f"Credit for {child.name}",
    )
