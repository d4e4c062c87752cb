"""Demo only: a month of Sales Panel history, so the dashboard and the cashbook look alive.

Everything goes through the services a reseller's day goes through: an opening top-up
(`ledger_post`), then sales by `customer_recharge` (the real commission rule, tiers included,
and its SMS) and one `commission_transfer`, each dated on its past day with the services' `at`.
Keys derive from the day, so running it again posts nothing. Nothing here touches the clock.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role
from customers.selectors import recharge_amounts
from customers.services import RechargeError, customer_recharge
from ledger.actions import commission_transfer
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import OperatorAccount, ledger_post, reseller_account

Kind = LedgerAccount.Kind


def demo_sales_history(*, reseller, days: int = 30, extra_customers=()) -> None:
    """A top-up `days` ago, then 0-3 sales a day by the reseller's User and Admin (to its own
    customers and some of `extra_customers`, owned by another reseller), and one commission
    transfer ten days ago."""
    members = {m.role: m.user for m in reseller.memberships.select_related("user")}
    sellers = [members.get(Role.USER), members.get(Role.ADMIN)]
    customers = list(reseller.customers.order_by("pk"))
    amounts = recharge_amounts(reseller=reseller)
    if not customers or not amounts or None in sellers:
        return
    customers += list(extra_customers)
    amounts = amounts[:3]  # the everyday amounts, not the largest
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    start = today - dt.timedelta(days=days)
    opening = 200 * amounts[0]  # 1,000.00 EUR, 4,000.00 PLN: what a month of sales needs
    sales_credit = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
    ledger_post(
        kind=LedgerTransaction.Kind.TOPUP,
        currency=str(reseller.currency),
        legs=[(OperatorAccount(Kind.BANK), -opening), (sales_credit, opening)],
        idempotency_key="demo-history-topup",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
        memo="Bank transfer (demo)",
        at=start,
    )
    chance = random.Random(reseller.slug)  # noqa: S311 - demo data, not security
    now = timezone.now()
    for day in range(days, 0, -1):
        morning = today - dt.timedelta(days=day - 1)
        minutes = sorted(chance.randint(0, 9 * 60) for _ in range(chance.choice([0, 1, 1, 2, 3])))
        for n, minute in enumerate(minutes):
            customer, amount, seller = (
                chance.choice(customers),
                chance.choice(amounts),
                chance.choice(sellers),
            )
            try:
                customer_recharge(
                    reseller=reseller,
                    actor=seller,
                    phone=customer.phone,
                    amount=amount,
                    idempotency_key=f"demo-history-{day}-{n}",
                    at=min(morning + dt.timedelta(minutes=minute), now),
                )
            except RechargeError:
                continue  # e.g. selling to another reseller's customers is switched off
        if day == 10:
            commission_transfer(
                reseller=reseller,
                actor=members[Role.ADMIN],
                amount=Decimal(15),
                idempotency_key="demo-history",
                at=today - dt.timedelta(days=day - 1, hours=-8),
            )
