"""What PostgreSQL checks in place of the entries' foreign keys (migration ledger 0005), and
a posting's refusal without a savepoint (the two ways of calling the posting function are in
test_pg.py).

The entries have no foreign-key constraints; instead an entry can only be written in the
database transaction that created its ledger transaction (statement trigger), the deferred
per-transaction check refuses an entry on a missing account, and an account with entries
cannot be deleted. Each test commits for real, as the checks run at commit.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.selectors import account_balance
from ledger.services import InsufficientFunds, OperatorAccount, ledger_post, reseller_account
from ledger.verify import ledger_verify
from tests.factories import ResellerFactory
from tests.ledger.test_concurrency import _raw_entry, _raw_transaction, assert_ledger_clean, fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Kind = LedgerAccount.Kind
ORPHAN_RULE = "entries are on existing accounts, in their transaction's currency"


def _receipts(currency: str = "EUR") -> LedgerAccount:
    return reseller_account(reseller=ResellerFactory(), kind=Kind.RECEIPTS, currency=currency)


def test_an_entry_cannot_be_added_to_a_committed_transaction():
    a, b = _receipts(), _receipts()
    txn = fund(a, "5", "committed")
    before = LedgerEntry.objects.count()

    with (
        pytest.raises(IntegrityError, match="only be written with their transaction"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(cursor, txn.pk, b, "5.0000")

    assert LedgerEntry.objects.count() == before
    assert_ledger_clean()


def test_an_entry_cannot_name_a_transaction_that_does_not_exist():
    a = _receipts()
    with (
        pytest.raises(IntegrityError, match="only be written with their transaction"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(cursor, 987654321, a, "5.0000")
    assert not LedgerEntry.objects.exists()


def test_an_entry_on_a_missing_account_is_refused_at_commit():
    a = _receipts()
    missing = LedgerAccount(pk=987654321, currency="EUR")
    statements_accepted = False
    with (
        pytest.raises(IntegrityError, match="account that does not exist"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        txn_id = _raw_transaction(cursor, "EUR")
        _raw_entry(cursor, txn_id, a, "5.0000")
        _raw_entry(cursor, txn_id, missing, "-5.0000")
        statements_accepted = True
    assert statements_accepted
    assert not LedgerTransaction.objects.exists()
    assert_ledger_clean()


def test_an_account_with_entries_cannot_be_deleted():
    a = _receipts()
    fund(a, "5", "keep")
    with (
        pytest.raises(IntegrityError, match="has entries and cannot be deleted"),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM ledger_ledgeraccount WHERE id = %s", [a.pk])
    assert LedgerAccount.objects.filter(pk=a.pk).exists()
    unused = _receipts()
    with connection.cursor() as cursor:  # the control: an account without entries can go
        cursor.execute("DELETE FROM ledger_ledgeraccount WHERE id = %s", [unused.pk])
    assert not LedgerAccount.objects.filter(pk=unused.pk).exists()
    assert_ledger_clean()


@pytest.mark.ledger_broken_on_purpose
def test_ledger_verify_finds_an_entry_whose_account_is_gone():
    """Past the triggers (replica mode) an account with entries can be deleted; there is no
    foreign key to stop it, and ledger_verify reports the entries left behind."""
    a = _receipts()
    txn = fund(a, "5", "orphaned")
    entry = LedgerEntry.objects.get(transaction=txn, account=a)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute("DELETE FROM ledger_ledgeraccount WHERE id = %s", [a.pk])
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    report = ledger_verify()
    assert report.violations[ORPHAN_RULE] == [(entry.pk, txn.pk, None, "EUR")]


# --- Without a savepoint ----------------------------------------------------------------------


def test_without_a_savepoint_a_refusal_is_insufficient_funds_from_the_locked_account():
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    fund(sales, "5", "fund")
    with pytest.raises(InsufficientFunds) as refused, transaction.atomic():
        sales = LedgerAccount.objects.select_for_update().get(pk=sales.pk)  # as callers do
        ledger_post(
            kind=LedgerTransaction.Kind.FEE,
            currency="EUR",
            legs=[(sales, "-9"), (OperatorAccount(Kind.REVENUE), "9")],
            idempotency_key="no-savepoint",
            savepoint=False,
        )
    assert refused.value.account.pk == sales.pk
    assert refused.value.available == Decimal("5.0000")
    assert account_balance(account=sales) == Decimal("5.0000")
    assert LedgerTransaction.objects.count() == 1
    assert_ledger_clean()
