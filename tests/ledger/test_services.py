"""The posting service: balance, currency, limits, idempotency, reversal, rounding."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from core.money import InvalidAmount, to_ledger, to_minor_unit
from ledger import selectors
from ledger.actions import ledger_transaction_reverse
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.services import (
    AlreadyReversed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    OperatorAccount,
    UnbalancedTransaction,
    customer_account,
    ledger_post,
    ledger_reverse,
    reseller_account,
)
from tests.errors import raises_code
from tests.factories import CustomerFactory, ResellerFactory, StaffFactory
from tests.world import fund

pytestmark = pytest.mark.django_db
K = LedgerAccount.Kind
T = LedgerTransaction.Kind


@pytest.fixture
def reseller():
    reseller = ResellerFactory(commission_rate=Decimal("10"))
    fund(reseller, net="100.00", vat="19.00")
    return reseller


def recharge(reseller, customer, amount, key, commission=None):
    """The brief's recharge: sales credit → customer, commission expense → commission."""
    amount = Decimal(amount)
    commission = amount / 10 if commission is None else Decimal(commission)
    return ledger_post(
        kind=T.RECHARGE,
        currency="EUR",
        legs=[
            (reseller_account(reseller=reseller, kind=K.SALES_CREDIT), -amount),
            (customer_account(customer=customer), amount),
            (OperatorAccount(K.COMMISSION_EXPENSE), -commission),
            (reseller_account(reseller=reseller, kind=K.COMMISSION), commission),
        ],
        idempotency_key=key,
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
    )


def balance(reseller, kind):
    return selectors.account_balance(account=reseller_account(reseller=reseller, kind=kind))


def test_the_brief_top_up_posts_three_balanced_entries(reseller):
    assert balance(reseller, K.SALES_CREDIT) == Decimal("100.0000")
    assert selectors.operator_balance(kind=K.CLEARING_PAYPAL, currency="EUR") == Decimal("-119")
    assert selectors.operator_balance(kind=K.VAT_PAYABLE, currency="EUR") == Decimal("19")
    txn = LedgerTransaction.objects.get(kind=T.TOPUP)
    assert sum(e.amount for e in txn.entries.all()) == 0


def test_recharge_moves_credit_and_books_commission_instantly(reseller):
    customer = CustomerFactory(reseller=reseller)
    recharge(reseller, customer, "10.00", "r1")
    assert balance(reseller, K.SALES_CREDIT) == Decimal("90")
    assert balance(reseller, K.COMMISSION) == Decimal("1")
    assert selectors.account_balance(account=customer_account(customer=customer)) == 10
    entries = LedgerEntry.objects.filter(transaction__idempotency_key="r1")
    assert {e.balance_after for e in entries} == {Decimal("90"), Decimal("10"), Decimal("1"), -1}


def test_not_enough_sales_credit_changes_nothing(reseller):
    customer = CustomerFactory(reseller=reseller)
    before = LedgerTransaction.objects.count()
    with pytest.raises(InsufficientFunds) as info:
        recharge(reseller, customer, "100.01", "too-much")
    assert str(info.value) == "Sales credit is too low: €100.00 available, €100.01 needed."
    assert info.value.code == "insufficient-funds" and info.value.field == "amount"
    assert LedgerTransaction.objects.count() == before
    assert balance(reseller, K.SALES_CREDIT) == 100


def test_spending_to_exactly_the_limit_is_allowed(reseller):
    recharge(reseller, CustomerFactory(reseller=reseller), "100.00", "all")
    assert balance(reseller, K.SALES_CREDIT) == 0


def test_a_permissive_customer_may_go_down_to_the_credit_limit():
    customer = CustomerFactory(balance_policy="permissive", credit_limit=Decimal("5.00"))
    account = customer_account(customer=customer)
    assert account.lower_limit == Decimal("-5")
    usage = [(account, "-5.00"), (OperatorAccount(K.REVENUE), "5.00")]
    ledger_post(kind=T.USAGE, currency="EUR", legs=usage, idempotency_key="u1")
    with pytest.raises(InsufficientFunds):
        ledger_post(
            kind=T.USAGE,
            currency="EUR",
            legs=[(account, "-0.0001"), (OperatorAccount(K.REVENUE), "0.0001")],
            idempotency_key="u2",
        )


@pytest.mark.parametrize(
    ("legs", "error"),
    [
        ([("a", "10"), ("op", "-9.99")], UnbalancedTransaction),
        ([("a", "10")], UnbalancedTransaction),
        ([("a", "0"), ("op", "0")], UnbalancedTransaction),
    ],
)
def test_unbalanced_postings_are_refused(reseller, legs, error):
    account = reseller_account(reseller=reseller, kind=K.SALES_CREDIT)
    targets = {"a": account, "op": OperatorAccount(K.BANK)}
    with pytest.raises(error):
        ledger_post(
            kind=T.ADJUSTMENT,
            currency="EUR",
            legs=[(targets[t], amount) for t, amount in legs],
            idempotency_key="bad",
        )
    assert not LedgerTransaction.objects.filter(idempotency_key="bad").exists()


def test_an_account_in_another_currency_is_refused(reseller):
    pln = ResellerFactory(currency="PLN")
    with pytest.raises(CurrencyMismatch, match="is in PLN"):
        ledger_post(
            kind=T.TRANSFER,
            currency="EUR",
            legs=[
                (reseller_account(reseller=reseller, kind=K.SALES_CREDIT), "-1"),
                (reseller_account(reseller=pln, kind=K.SALES_CREDIT), "1"),
            ],
            idempotency_key="fx",
        )


def test_floats_are_not_money():
    with pytest.raises(InvalidAmount):
        to_ledger(0.1)
    assert to_ledger("0.00005") == Decimal("0.0001")
    assert to_minor_unit("0.125", "EUR") == Decimal("0.13")
    assert to_minor_unit("0.5", "JPY") == Decimal("1")


def test_the_same_key_and_request_posts_once(reseller):
    customer = CustomerFactory(reseller=reseller)
    first = recharge(reseller, customer, "10", "double-click")
    again = recharge(reseller, customer, "10", "double-click")
    assert again.pk == first.pk
    assert balance(reseller, K.SALES_CREDIT) == 90


def test_the_same_key_with_another_request_is_a_clear_error(reseller):
    customer = CustomerFactory(reseller=reseller)
    recharge(reseller, customer, "10", "k")
    with raises_code(IdempotencyConflict, "idempotency-conflict"):
        recharge(reseller, customer, "20", "k")
    assert balance(reseller, K.SALES_CREDIT) == 90


def test_keys_are_scoped(reseller):
    other = ResellerFactory()
    fund(other)
    recharge(reseller, CustomerFactory(reseller=reseller), "10", "same-key")
    recharge(other, CustomerFactory(reseller=other), "10", "same-key")
    assert LedgerTransaction.objects.filter(idempotency_key="same-key").count() == 2


def test_reversal_restores_balances_once(reseller):
    customer = CustomerFactory(reseller=reseller)
    txn = recharge(reseller, customer, "10", "to-undo")
    reversal = ledger_reverse(transaction_id=txn.pk, actor=None, reason="wrong customer")
    assert reversal.reverses == txn and reversal.kind == T.REVERSAL
    assert balance(reseller, K.SALES_CREDIT) == 100
    assert balance(reseller, K.COMMISSION) == 0
    with pytest.raises(AlreadyReversed):
        ledger_reverse(transaction_id=txn.pk, actor=None, reason="again")
    with pytest.raises(AlreadyReversed):
        ledger_reverse(transaction_id=txn.pk, actor=None, reason="x", idempotency_key="other")
    with pytest.raises(LedgerError, match="cannot itself be reversed"):
        ledger_reverse(transaction_id=reversal.pk, actor=None, reason="undo the undo")


def test_a_spent_top_up_cannot_be_reversed(reseller):
    recharge(reseller, CustomerFactory(reseller=reseller), "60", "spend")
    topup = LedgerTransaction.objects.get(kind=T.TOPUP)
    with pytest.raises(InsufficientFunds):
        ledger_reverse(transaction_id=topup.pk, actor=None, reason="chargeback")
    assert not LedgerTransaction.objects.filter(reverses=topup).exists()


def test_staff_reversal_is_audited_and_needs_a_reason(reseller):
    staff = StaffFactory()
    txn = recharge(reseller, CustomerFactory(reseller=reseller), "10", "audited")
    with pytest.raises(LedgerError, match="Give a reason for the reversal"):
        ledger_transaction_reverse(transaction_id=txn.pk, actor=staff, reason="  ")
    reversal = ledger_transaction_reverse(transaction_id=txn.pk, actor=staff, reason="typo")
    event = AuditEvent.objects.get(action="ledger.reversed")
    assert (event.actor, event.object_id) == (staff, str(reversal.pk))
    assert event.data == {"reverses": txn.pk, "reason": "typo"}


def test_operator_accounts_are_sharded_not_one_hot_row(reseller, settings):
    for _ in range(40):
        fund(ResellerFactory(), net="1.00", vat="0.19")
    shards = LedgerAccount.objects.filter(owner_type="operator", kind=K.CLEARING_PAYPAL)
    assert 1 < shards.count() <= settings.LEDGER_OPERATOR_SHARDS
    assert selectors.operator_balance(kind=K.CLEARING_PAYPAL, currency="EUR") == Decimal(
        "-166.60"
    )  # 119 + 40 × 1.19


def test_statement_is_keyset_paginated_with_running_balance(reseller):
    customer = CustomerFactory(reseller=reseller)
    for n in range(5):
        recharge(reseller, customer, "1", f"s{n}")
    account = reseller_account(reseller=reseller, kind=K.SALES_CREDIT)
    first = selectors.account_statement(account=account, limit=3)
    rest = selectors.account_statement(account=account, after_id=first[-1].pk, limit=3)
    assert [e.balance_after for e in first + rest] == [100, 99, 98, 97, 96, 95]
    assert len(rest) == 3


def test_totals_per_kind_for_a_reseller(reseller):
    import datetime as dt

    from django.utils import timezone

    customer = CustomerFactory(reseller=reseller)
    recharge(reseller, customer, "10", "t1")
    recharge(reseller, customer, "5", "t2")
    now = timezone.now()
    totals = selectors.reseller_totals_by_kind(
        reseller=reseller, start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1)
    )
    assert totals[(T.RECHARGE, K.SALES_CREDIT)] == Decimal("-15")
    assert totals[(T.RECHARGE, K.COMMISSION)] == Decimal("1.5")
    assert totals[(T.TOPUP, K.SALES_CREDIT)] == Decimal("100")


def test_ledger_verify_command_prints_what_it_checked(reseller, capsys):
    call_command("ledger_verify")
    out = capsys.readouterr().out
    assert "checked 1 transactions, 3 entries" in out
    assert "ledger is clean" in out


@pytest.mark.ledger_broken_on_purpose
def test_ledger_verify_fails_on_a_drifted_cached_balance(reseller, capsys):
    """A balance column edited behind the ledger's back (what ASTPP-style tools do)."""
    LedgerAccount.objects.filter(kind=K.SALES_CREDIT).update(balance=Decimal("1000"))
    with pytest.raises(CommandError, match="violations"):
        call_command("ledger_verify")
    out = capsys.readouterr().out
    assert "FAIL cached balances equal the sum of entries" in out
