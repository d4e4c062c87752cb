"""Reversing a sale: the customer's balance back to sales credit, the commission clawed back
from commission credit and, when that was paid out or moved on, owed and settled from the
next commission. Every balance where a hand calculation puts it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from customers.reversals import SaleReversalRefused, sale_reverse
from customers.services import customer_recharge
from ledger.actions import commission_transfer
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import operator_balance, reseller_balance
from ledger.services import (
    AlreadyReversed,
    OperatorAccount,
    customer_account,
    ledger_post,
    ledger_reverse,
)
from tests.factories import CustomerFactory, ResellerFactory
from tests.world import fund

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


def _sell(reseller, customer, amount="50"):
    return customer_recharge(
        reseller=reseller,
        actor=None,
        phone=customer.phone,
        amount=amount,
        idempotency_key=str(uuid.uuid4()),
    )


def _balances(reseller, customer):
    return {
        "sales": reseller_balance(reseller=reseller, kind=Kind.SALES_CREDIT),
        "commission": reseller_balance(reseller=reseller, kind=Kind.COMMISSION),
        "owed": reseller_balance(reseller=reseller, kind=Kind.COMMISSION_OWED),
        "customer": customer_account(customer=customer).balance,
        "expense": operator_balance(kind=Kind.COMMISSION_EXPENSE, currency="EUR"),
    }


@pytest.fixture
def shop():
    reseller = ResellerFactory(commission_rate=Decimal("10.00"))
    fund(reseller, net="200.00", vat="38.00")
    return reseller, CustomerFactory(reseller=reseller)


def test_a_reversed_sale_returns_the_credit_and_claws_the_commission_back(shop):
    reseller, customer = shop
    sale = _sell(reseller, customer, "50")
    # By hand: 200 - 50 = 150 sales credit, 5 commission, customer 50.
    assert _balances(reseller, customer) == {
        "sales": Decimal("150"),
        "commission": Decimal("5"),
        "owed": Decimal("0"),
        "customer": Decimal("50"),
        "expense": Decimal("-5"),
    }
    reversal = sale_reverse(
        transaction_id=sale.transaction.pk, actor=None, reason="refund", idempotency_key="r1"
    )
    assert (reversal.amount, reversal.commission_clawed, reversal.commission_owed) == (
        Decimal("50"),
        Decimal("5"),
        Decimal("0"),
    )
    assert reversal.transaction.reverses_id == sale.transaction.pk
    assert reversal.transaction.kind == LedgerTransaction.Kind.REVERSAL
    assert _balances(reseller, customer) == {
        "sales": Decimal("200"),
        "commission": Decimal("0"),
        "owed": Decimal("0"),
        "customer": Decimal("0"),
        "expense": Decimal("0"),
    }
    assert AuditEvent.objects.filter(action="customer.sale_reversed").count() == 1


def test_a_replay_reverses_once_and_another_reversal_is_refused(shop):
    reseller, customer = shop
    sale = _sell(reseller, customer, "20")
    first = sale_reverse(
        transaction_id=sale.transaction.pk, actor=None, reason="refund", idempotency_key="k"
    )
    for _ in range(5):
        again = sale_reverse(
            transaction_id=sale.transaction.pk, actor=None, reason="refund", idempotency_key="k"
        )
        assert again.replayed and again.transaction.pk == first.transaction.pk
    with pytest.raises(AlreadyReversed):
        sale_reverse(
            transaction_id=sale.transaction.pk, actor=None, reason="x", idempotency_key="other"
        )
    with pytest.raises(AlreadyReversed):
        ledger_reverse(transaction_id=sale.transaction.pk, actor=None, reason="staff")
    assert _balances(reseller, customer)["sales"] == Decimal("200")
    assert AuditEvent.objects.filter(action="customer.sale_reversed").count() == 1


def test_commission_already_moved_on_is_owed_and_settled_by_the_next_commission(shop):
    reseller, customer = shop
    sale = _sell(reseller, customer, "50")  # commission 5
    commission_transfer(reseller=reseller, actor=None, amount="4", idempotency_key="t")
    # Commission credit 1 left; sales credit 150 + 4 = 154.
    reversal = sale_reverse(
        transaction_id=sale.transaction.pk, actor=None, reason="chargeback", idempotency_key="c"
    )
    assert (reversal.commission_clawed, reversal.commission_owed) == (Decimal("1"), Decimal("4"))
    assert _balances(reseller, customer) == {
        "sales": Decimal("204"),
        "commission": Decimal("0"),
        "owed": Decimal("-4"),
        "customer": Decimal("0"),
        "expense": Decimal("0"),
    }
    # The next sale earns 2 (20 at 10 %): all of it settles the debt, 2 stays owed.
    second = _sell(reseller, customer, "20")
    assert second.transaction.metadata["commission_owed_settled"] == "2.00"
    assert _balances(reseller, customer) == {
        "sales": Decimal("184"),
        "commission": Decimal("0"),
        "owed": Decimal("-2"),
        "customer": Decimal("20"),
        "expense": Decimal("-2"),
    }
    # A sale of 50 earns 5: 2 settles the rest of the debt, 3 is commission credit.
    _sell(reseller, customer, "50")
    assert _balances(reseller, customer) == {
        "sales": Decimal("134"),
        "commission": Decimal("3"),
        "owed": Decimal("0"),
        "customer": Decimal("70"),
        "expense": Decimal("-7"),
    }
    # And then commission is earned as before, with nothing more settled.
    fourth = _sell(reseller, customer, "10")
    assert "commission_owed_settled" not in fourth.transaction.metadata
    assert _balances(reseller, customer)["commission"] == Decimal("4")


def test_a_spent_balance_refuses_the_reversal_and_moves_nothing(shop):
    reseller, customer = shop
    sale = _sell(reseller, customer, "20")
    spent = _sell(reseller, customer, "5")
    before = _balances(reseller, customer)
    # The customer spends 15 of the 25 on calls.
    ledger_post(
        kind=LedgerTransaction.Kind.USAGE,
        currency="EUR",
        legs=[(customer_account(customer=customer), "-15"), (OperatorAccount(Kind.REVENUE), "15")],
        idempotency_key="usage-1",
    )
    with pytest.raises(SaleReversalRefused) as refused:
        sale_reverse(
            transaction_id=sale.transaction.pk, actor=None, reason="refund", idempotency_key="s"
        )
    assert "10" in str(refused.value) and "20" in str(refused.value)
    after = _balances(reseller, customer)
    assert after["commission"] == before["commission"]
    assert after["sales"] == before["sales"]
    assert not LedgerTransaction.objects.filter(reverses=sale.transaction).exists()
    assert spent.transaction.pk


def test_only_a_recharge_is_reversed_as_a_sale(shop):
    reseller, _customer = shop
    topup = fund(reseller)
    with pytest.raises(SaleReversalRefused):
        sale_reverse(transaction_id=topup.pk, actor=None, reason="x", idempotency_key="n")


def test_the_owed_commission_is_shown_on_the_cashbook_and_the_dashboard(world):
    reseller, customer = world.a.reseller, world.a.customer
    fund(reseller, net="200.00", vat="38.00")
    sale = _sell(reseller, customer, "50")
    earned = reseller_balance(reseller=reseller, kind=Kind.COMMISSION)
    commission_transfer(reseller=reseller, actor=None, amount=earned, idempotency_key="all")
    reversal = sale_reverse(
        transaction_id=sale.transaction.pk, actor=None, reason="refund", idempotency_key="o"
    )
    owed = reversal.commission_owed
    assert owed > 0
    admin = world.client_for("admin")
    for url in ("/r/cashbook/", "/r/"):
        page = admin.get(url).content.decode()
        assert 'data-testid="commission-owed"' in page, url
        assert f"{owed:.2f}".replace(".", ",") in page or f"{owed:.2f}" in page, url
    # Settled by the next commission, it is no longer shown.
    _sell(reseller, customer, "50")
    _sell(reseller, customer, "50")
    assert reseller_balance(reseller=reseller, kind=Kind.COMMISSION_OWED) == 0
    assert 'data-testid="commission-owed"' not in admin.get("/r/cashbook/").content.decode()
