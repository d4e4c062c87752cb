"""Demo only: a month of Sales Panel history, so the dashboard and the cashbook look alive.

The postings go through `ledger_post` and `commission_transfer` like real ones, with keys
derived from the day, so running it again posts nothing. To date them on past days it moves
Django's clock for the duration of each posting; nothing outside the demo command does that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import (
    OperatorAccount,
    commission_transfer,
    customer_account,
    ledger_post,
    reseller_account,
)

Kind = LedgerAccount.Kind
AMOUNTS = [Decimal(5), Decimal(10), Decimal(10), Decimal(20), Decimal(50)]


@contextlib.contextmanager
def _backdated(moment: dt.datetime):
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def _recharge(*, seller, customer, amount: Decimal, actor, key: str) -> None:
    currency = str(seller.currency)
    commission = (amount * seller.commission_rate / 100).quantize(Decimal("0.0001"))
    ledger_post(
        kind=LedgerTransaction.Kind.RECHARGE,
        currency=currency,
        legs=[
            (reseller_account(reseller=seller, kind=Kind.SALES_CREDIT), -amount),
            (customer_account(customer=customer, currency=currency), amount),
            (OperatorAccount(Kind.COMMISSION_EXPENSE), -commission),
            (reseller_account(reseller=seller, kind=Kind.COMMISSION), commission),
        ],
        idempotency_key=key,
        scope=f"reseller:{seller.pk}",
        reseller=seller,
        actor=actor,
        memo=f"Recharge {customer.phone}",
        metadata={
            "customer_id": customer.pk,
            "amount": str(amount),
            "commission": str(commission),
        },
    )


def demo_sales_history(*, reseller, days: int = 30, extra_customers=()) -> None:
    """A top-up 30 days ago, then 0-3 recharges a day by the reseller's User and Admin (and
    some of `extra_customers`, owned by another reseller), and one commission transfer."""
    members = {m.role: m.user for m in reseller.memberships.select_related("user")}
    sellers = [members.get(Role.USER), members.get(Role.ADMIN)]
    customers = list(reseller.customers.order_by("pk"))
    if not customers or None in sellers:
        return
    customers += list(extra_customers)
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    start = today - dt.timedelta(days=days)
    scope = f"reseller:{reseller.pk}"
    with _backdated(start):
        ledger_post(
            kind=LedgerTransaction.Kind.TOPUP,
            currency=str(reseller.currency),
            legs=[
                (OperatorAccount(Kind.BANK), Decimal(-1000)),
                (reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT), Decimal(1000)),
            ],
            idempotency_key="demo-history-topup",
            scope=scope,
            reseller=reseller,
            memo="Bank transfer (demo)",
        )
    chance = random.Random(reseller.slug)  # noqa: S311 - demo data, not security
    for day in range(days, 0, -1):
        morning = today - dt.timedelta(days=day - 1)
        minutes = sorted(chance.randint(0, 9 * 60) for _ in range(chance.choice([0, 1, 1, 2, 3])))
        for n, minute in enumerate(minutes):
            moment = morning + dt.timedelta(minutes=minute)
            with _backdated(min(moment, timezone.now())):
                _recharge(
                    seller=reseller,
                    customer=chance.choice(customers),
                    amount=chance.choice(AMOUNTS),
                    actor=chance.choice(sellers),
                    key=f"demo-history-{day}-{n}",
                )
        if day == 10:
            with _backdated(today - dt.timedelta(days=day - 1, hours=-8)):
                commission_transfer(
                    reseller=reseller,
                    actor=members[Role.ADMIN],
                    amount=Decimal(15),
                    idempotency_key="demo-history",
                )
