"""The ledger under real concurrency, and the database's own guarantees, on PostgreSQL.

Every test commits for real (`transaction=True`): the threads use their own connections, so
they see each other only through committed rows and row locks, as web workers do. Each thread
opens its connection before a barrier releases them all at once and closes it at the end.

The raw-SQL tests show what PostgreSQL refuses even to code that bypasses `ledger_post`:
changing or deleting ledger rows (append-only triggers, SQLSTATE 23001 restrict_violation)
and committing an unbalanced transaction (deferred constraint triggers, SQLSTATE 23514
check_violation); both reach Django as `django.db.utils.IntegrityError`. The last tests edit
rows past the triggers (`session_replication_role = replica`) and show `ledger_verify` still
finds the edit through the entries' keyed digests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.selectors import account_balance, operator_balance
from ledger.services import (
    AlreadyReversed,
    InsufficientFunds,
    OperatorAccount,
    customer_account,
    digest_text,
    entry_digest,
    ledger_post,
    ledger_reverse,
    reseller_account,
    shard_for,
)
from ledger.verify import DIGEST_RULE, ledger_verify
from tests.factories import CustomerFactory, ResellerFactory, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Kind = LedgerAccount.Kind
TxnKind = LedgerTransaction.Kind
CLEARING = OperatorAccount(Kind.CLEARING_PAYPAL)
SUM_RULE = "transactions sum to zero per currency"


def run_concurrently(count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` for i in range(count) in `count` threads released together; return each
    result or the exception it raised."""
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def worker(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            outcomes[i] = work(i)
        except BaseException as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"threads still running after 120 s (waiting on a lock?): {hung}"
    return outcomes


def split(outcomes: list[object], *expected: type[Exception]):
    """The transactions posted and the expected exceptions; anything else fails the test."""
    posted = [o for o in outcomes if isinstance(o, LedgerTransaction)]
    refused = [o for o in outcomes if isinstance(o, expected)]
    unexpected = [o for o in outcomes if o not in posted and o not in refused]
    assert not unexpected, f"{len(unexpected)} unexpected outcomes, first: {unexpected[0]!r}"
    return posted, refused


def fund(account: LedgerAccount, amount: str, key: str) -> LedgerTransaction:
    return ledger_post(
        kind=TxnKind.TOPUP,
        currency=account.currency,
        legs=[(CLEARING, f"-{amount}"), (account, amount)],
        idempotency_key=key,
    )


def assert_ledger_clean() -> None:
    report = ledger_verify()
    assert report.clean, {rule: rows for rule, rows in report.violations.items() if rows}


# --- Concurrent postings ------------------------------------------------------------------------


@pytest.mark.slow
def test_fifty_concurrent_debits_stop_exactly_at_the_limit():
    reseller = ResellerFactory()
    sales = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
    balance = customer_account(customer=CustomerFactory(reseller=reseller))
    fund(sales, "20.00", "fund")

    outcomes = run_concurrently(
        50,
        lambda i: ledger_post(
            kind=TxnKind.RECHARGE,
            currency="EUR",
            legs=[(sales, "-1.00"), (balance, "1.00")],
            idempotency_key=f"move-{i}",
        ),
    )

    posted, refused = split(outcomes, InsufficientFunds)
    assert (len(posted), len(refused)) == (20, 30)
    for exc in refused:
        assert exc.account.pk == sales.pk
        assert (exc.available, exc.requested) == (Decimal("0.0000"), Decimal("1.0000"))
    assert account_balance(account=sales) == Decimal("0.0000")
    assert account_balance(account=balance) == Decimal("20.0000")
    # Never below the limit on the way: the debits left 19, 18, ..., 0 behind, once each.
    afters = LedgerEntry.objects.filter(account=sales, amount__lt=0).values_list(
        "balance_after", flat=True
    )
    assert sorted(afters) == [Decimal(n) for n in range(20)]
    assert LedgerTransaction.objects.count() == 21
    assert_ledger_clean()


@pytest.mark.slow
def test_crossing_transfers_do_not_deadlock():
    a = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    b = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    fund(a, "100.00", "fund-a")
    fund(b, "100.00", "fund-b")

    def transfer(i: int) -> LedgerTransaction:
        source, target, amount = (a, b, "1.25") if i % 2 else (b, a, "0.75")
        return ledger_post(
            kind=TxnKind.TRANSFER,
            currency="EUR",
            legs=[(source, f"-{amount}"), (target, amount)],
            idempotency_key=f"cross-{i}",
        )

    outcomes = run_concurrently(40, transfer)

    posted, _ = split(outcomes)  # a deadlock (OperationalError) would be unexpected
    assert len(posted) == 40
    assert account_balance(account=a) == Decimal("100") - 20 * Decimal("1.25") + 20 * Decimal(
        "0.75"
    )
    assert account_balance(account=b) == Decimal("100") + 20 * Decimal("1.25") - 20 * Decimal(
        "0.75"
    )
    assert LedgerTransaction.objects.count() == 42
    assert_ledger_clean()


@pytest.mark.slow
def test_one_idempotency_key_posted_concurrently_posts_once():
    reseller = ResellerFactory()
    sales = reseller_account(reseller=reseller, kind=Kind.SALES_CREDIT)
    balance = customer_account(customer=CustomerFactory(reseller=reseller))
    fund(sales, "50.00", "fund")

    outcomes = run_concurrently(
        10,
        lambda i: ledger_post(
            kind=TxnKind.RECHARGE,
            currency="EUR",
            legs=[(sales, "-7.50"), (balance, "7.50")],
            idempotency_key="recharge-once",
        ),
    )

    posted, _ = split(outcomes)
    assert len(posted) == 10
    assert len({txn.pk for txn in posted}) == 1
    assert LedgerTransaction.objects.filter(idempotency_key="recharge-once").count() == 1
    assert LedgerTransaction.objects.count() == 2
    assert account_balance(account=sales) == Decimal("42.5000")
    assert account_balance(account=balance) == Decimal("7.5000")
    assert_ledger_clean()


@pytest.mark.slow
def test_a_reversal_requested_concurrently_happens_once():
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    original = fund(sales, "30.00", "fund")
    staff = StaffFactory(mfa=False)

    outcomes = run_concurrently(
        5,
        lambda i: ledger_reverse(
            transaction_id=original.pk,
            actor=staff,
            reason="paid twice",
            idempotency_key=f"reverse-{i}",
        ),
    )

    posted, refused = split(outcomes, AlreadyReversed)
    assert (len(posted), len(refused)) == (1, 4)
    assert LedgerTransaction.objects.filter(reverses=original).count() == 1
    assert LedgerTransaction.objects.filter(kind=TxnKind.REVERSAL).count() == 1
    assert account_balance(account=sales) == Decimal("0.0000")
    assert operator_balance(kind=Kind.CLEARING_PAYPAL, currency="EUR") == Decimal("0.0000")
    assert_ledger_clean()


@pytest.mark.slow
def test_concurrent_fundings_create_each_operator_shard_once():
    """No operator shard exists yet: thirty fundings race to create them (get_or_create)."""
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    assert not LedgerAccount.objects.filter(owner_type=LedgerAccount.OwnerType.OPERATOR).exists()

    outcomes = run_concurrently(30, lambda i: fund(sales, "2.00", f"fund-{i}"))

    posted, _ = split(outcomes)
    assert len(posted) == 30
    assert account_balance(account=sales) == Decimal("60.0000")
    assert operator_balance(kind=Kind.CLEARING_PAYPAL, currency="EUR") == Decimal("-60.0000")
    shards = LedgerAccount.objects.filter(owner_type=LedgerAccount.OwnerType.OPERATOR)
    assert shards.count() == len(set(shards.values_list("kind", "currency", "shard")))
    assert_ledger_clean()


class _CallerFailed(Exception):
    pass


def _keys_on_one_shard(count: int) -> list[str]:
    """Idempotency keys that all post to the same operator shard."""
    candidates = (f"on-one-shard-{n}" for n in range(100_000))
    first = next(candidates)
    shard = shard_for(f"operator:{first}")
    return [first, *(k for k in candidates if shard_for(f"operator:{k}") == shard)][:count]


@pytest.mark.slow
def test_concurrent_fundings_after_a_rolled_back_shard_creation_all_succeed():
    """A funding rolled back with its caller's transaction takes the operator shard it created
    with it. Forty fundings on that shard, released together afterwards, must all succeed."""
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    keys = _keys_on_one_shard(41)
    with pytest.raises(_CallerFailed), transaction.atomic():
        fund(sales, "1.00", keys[0])
        raise _CallerFailed
    assert not LedgerAccount.objects.filter(owner_type=LedgerAccount.OwnerType.OPERATOR).exists()

    def service(i: int) -> LedgerTransaction:
        # As the services do: post inside the caller's own transaction, which goes on to
        # write other rows before it commits.
        with transaction.atomic(durable=True):
            txn = fund(sales, "1.00", keys[i + 1])
            time.sleep(0.02)
        return txn

    outcomes = run_concurrently(40, service)

    posted, _ = split(outcomes)
    assert len(posted) == 40
    assert account_balance(account=sales) == Decimal("40.0000")
    shards = LedgerAccount.objects.filter(owner_type=LedgerAccount.OwnerType.OPERATOR)
    assert shards.count() == 1
    assert shards.get().balance == Decimal("-40.0000")
    assert_ledger_clean()


@pytest.mark.slow
def test_refused_and_accepted_postings_racing_on_a_new_operator_shard():
    """No operator shard exists yet. Postings that the limit refuses (an empty account paying
    into clearing) race fundings out of clearing, all on the same shard: the refused ones get
    InsufficientFunds, every funding succeeds."""
    empty = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    keys = _keys_on_one_shard(40)

    def post(i: int) -> LedgerTransaction:
        if i % 2:
            return ledger_post(
                kind=TxnKind.ADJUSTMENT,
                currency="EUR",
                legs=[(empty, "-1.00"), (CLEARING, "1.00")],
                idempotency_key=keys[i],
            )
        return fund(sales, "1.00", keys[i])

    outcomes = run_concurrently(40, post)

    posted, refused = split(outcomes, InsufficientFunds)
    assert (len(posted), len(refused)) == (20, 20)
    assert all(exc.account.pk == empty.pk for exc in refused)
    assert account_balance(account=sales) == Decimal("20.0000")
    assert account_balance(account=empty) == Decimal("0.0000")
    assert operator_balance(kind=Kind.CLEARING_PAYPAL, currency="EUR") == Decimal("-20.0000")
    assert_ledger_clean()


# --- What PostgreSQL refuses ----------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_ledgerentry SET amount = amount * 2 WHERE transaction_id = %s",
        "UPDATE ledger_ledgerentry SET balance_after = 0 WHERE transaction_id = %s",
        "DELETE FROM ledger_ledgerentry WHERE transaction_id = %s",
        "UPDATE ledger_ledgertransaction SET memo = 'edited' WHERE id = %s",
        "DELETE FROM ledger_ledgertransaction WHERE id = %s",
    ],
)
def test_ledger_rows_are_append_only(statement):
    txn = fund(reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT), "5", "k")
    before = list(LedgerEntry.objects.order_by("id").values_list("id", "amount", "balance_after"))

    with pytest.raises(IntegrityError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(statement, [txn.pk])

    after = list(LedgerEntry.objects.order_by("id").values_list("id", "amount", "balance_after"))
    assert after == before
    assert LedgerTransaction.objects.get(pk=txn.pk).memo == ""
    assert_ledger_clean()


def _raw_transaction(cursor, currency: str) -> int:
    cursor.execute(
        """INSERT INTO ledger_ledgertransaction
               (kind, currency, memo, idempotency_scope, idempotency_key, request_hash,
                created_at, metadata)
           VALUES ('adjustment', %s, 'raw', 'operator', 'raw-1', 'x', now(), '{}')
           RETURNING id""",
        [currency],
    )
    return cursor.fetchone()[0]


def _raw_entry(cursor, txn_id: int, account: LedgerAccount, amount: str) -> None:
    """An entry written as ledger_post would, digest included (the account's first entry)."""
    text = digest_text(
        transaction_id=txn_id,
        kind="adjustment",
        currency=account.currency,
        account_id=account.pk,
        amount=Decimal(amount),
        balance_after=Decimal(amount),
    )
    cursor.execute(
        """INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after,
                                           digest)
           VALUES (%s, %s, %s, %s, %s)""",
        [txn_id, account.pk, amount, amount, entry_digest(text)],
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unbalanced", "does not balance"),
        ("no_entries", "fewer than two entries"),
        # Either deferred trigger may report it first (they fire in the order queued).
        ("one_entry", "fewer than two entries|does not balance"),
        ("other_currency", "another currency"),
    ],
)
def test_raw_sql_cannot_commit_a_broken_transaction(case, message):
    eur = [
        reseller_account(reseller=ResellerFactory(), kind=Kind.RECEIPTS, currency="EUR")
        for _ in range(2)
    ]
    usd = [
        reseller_account(reseller=ResellerFactory(), kind=Kind.RECEIPTS, currency="USD")
        for _ in range(2)
    ]
    statements_accepted = False

    with (
        pytest.raises(IntegrityError, match=message),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        txn_id = _raw_transaction(cursor, "EUR")
        if case == "unbalanced":
            _raw_entry(cursor, txn_id, eur[0], "5.0000")
            _raw_entry(cursor, txn_id, eur[1], "-3.0000")
        elif case == "one_entry":
            _raw_entry(cursor, txn_id, eur[0], "5.0000")
        elif case == "other_currency":  # balanced, but in USD accounts
            _raw_entry(cursor, txn_id, usd[0], "5.0000")
            _raw_entry(cursor, txn_id, usd[1], "-5.0000")
        statements_accepted = True  # the check is deferred to the commit

    assert statements_accepted
    assert not LedgerTransaction.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert_ledger_clean()


@pytest.mark.parametrize("in_savepoints", [False, True])
def test_raw_sql_can_commit_a_balanced_transaction(in_savepoints):
    """The control for the test above: the same raw SQL, balanced, commits (and, with its
    cached balances and digests written as ledger_post would, verifies clean). Entries
    written in savepoints of the same transaction (as nested atomic blocks make) are
    accepted too: the triggers compare top-level transaction ids."""
    a, b = (
        reseller_account(reseller=ResellerFactory(), kind=Kind.RECEIPTS, currency="EUR")
        for _ in range(2)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        txn_id = _raw_transaction(cursor, "EUR")
        for account, amount in ((a, "5.0000"), (b, "-5.0000")):
            with transaction.atomic() if in_savepoints else nullcontext():
                _raw_entry(cursor, txn_id, account, amount)
        cursor.execute("UPDATE ledger_ledgeraccount SET balance = 5 WHERE id = %s", [a.pk])
        cursor.execute("UPDATE ledger_ledgeraccount SET balance = -5 WHERE id = %s", [b.pk])
    assert LedgerEntry.objects.filter(transaction_id=txn_id).count() == 2
    assert_ledger_clean()


def test_a_refused_posting_inside_a_transaction_leaves_it_usable():
    """ledger_post runs in a savepoint inside a caller's transaction: the caller can catch
    InsufficientFunds and go on writing."""
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    with transaction.atomic():
        fund(sales, "5", "in-txn-fund")
        with pytest.raises(InsufficientFunds):
            ledger_post(
                kind=TxnKind.FEE,
                currency=sales.currency,
                legs=[(sales, "-9"), (OperatorAccount(Kind.REVENUE), "9")],
                idempotency_key="in-txn-fee",
            )
        fund(sales, "1", "in-txn-fund-2")
    assert account_balance(account=sales) == Decimal("6.0000")
    assert LedgerTransaction.objects.count() == 2
    assert_ledger_clean()


# --- What ledger_verify finds past the triggers ----------------------------------------------


@pytest.mark.ledger_broken_on_purpose
@pytest.mark.parametrize(
    ("tamper", "rules"),
    [
        # Both legs and both balances edited consistently: only the digests tell.
        ("both_legs", {DIGEST_RULE}),
        # One leg and its account's balance: the transaction no longer sums to zero either.
        ("one_leg", {DIGEST_RULE, SUM_RULE}),
    ],
)
def test_ledger_verify_finds_edits_made_past_the_triggers(tamper, rules):
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    txn = fund(sales, "100.00", "fund")
    entries = list(LedgerEntry.objects.filter(transaction=txn).order_by("id"))
    assert len(entries) == 2
    assert_ledger_clean()
    tampered = [e for e in entries if tamper == "both_legs" or e.account_id == sales.pk]

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            for entry in tampered:
                sign = 1 if entry.amount > 0 else -1
                cursor.execute(
                    "UPDATE ledger_ledgerentry SET amount = %s, balance_after = %s WHERE id = %s",
                    [sign * Decimal(150), sign * Decimal(150), entry.pk],
                )
                cursor.execute(
                    "UPDATE ledger_ledgeraccount SET balance = %s WHERE id = %s",
                    [sign * Decimal(150), entry.account_id],
                )
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"

    assert account_balance(account=sales) == Decimal("150.0000")
    report = ledger_verify()
    broken = {rule for rule, rows in report.violations.items() if rows}
    assert broken == rules
    assert sorted(report.violations[DIGEST_RULE]) == sorted((e.pk, txn.pk) for e in tampered)
    if SUM_RULE in rules:
        assert report.violations[SUM_RULE] == [(txn.pk, "EUR", Decimal("50.0000"))]
