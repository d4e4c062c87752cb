"""Recharges under real concurrency on PostgreSQL: threads with their own connections."""

from decimal import Decimal

import pytest

from customers.models import Customer
from customers.services import RechargeError, customer_recharge
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import reseller_account
from tests.factories import MembershipFactory, ResellerFactory
from tests.ledger.test_concurrency import run_concurrently
from tests.world import fund

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

Kind = LedgerAccount.Kind


def test_twenty_simultaneous_recharges_with_credit_for_ten_exactly_ten_succeed():
    reseller = ResellerFactory(commission_rate=Decimal("10"))
    fund(reseller, net="100.00")  # ten recharges of 10
    user = MembershipFactory(reseller=reseller).user

    def sell(i: int):
        return customer_recharge(
            reseller=reseller,
            actor=user,
            phone=f"+4917912345{i:02d}",
            amount="10",
            idempotency_key=f"c{i}",
        )

    outcomes = run_concurrently(20, sell)
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, RechargeError)]
    assert len(done) == 10 and len(refused) == 10, outcomes
    assert all("Not enough sales credit" in str(r) for r in refused)
    sales = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
    assert sales.balance == 0
    assert reseller_account(reseller=reseller, kind=Kind.COMMISSION).balance == Decimal(10)
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 10
    assert Customer.objects.count() == 10  # a refused sale registers nobody


def test_the_same_form_sent_at_once_from_many_threads_recharges_once():
    reseller = ResellerFactory()
    fund(reseller)
    user = MembershipFactory(reseller=reseller).user

    def send(i: int):
        return customer_recharge(
            reseller=reseller,
            actor=user,
            phone="+491791234567",
            amount="10",
            idempotency_key="one-form",
        )

    outcomes = run_concurrently(8, send)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sum(not o.replayed for o in outcomes) == 1
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1
    assert Customer.objects.count() == 1
    sales = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
    assert sales.balance == Decimal(90)
