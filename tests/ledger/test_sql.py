"""ledger.sql: each of ledger_verify's statements finds exactly the rows the same rule finds
when computed from ORM reads, on a ledger broken in every way the rules look for.

The ledger is broken past the database's guards (on PostgreSQL the append-only triggers are off
for the test's transaction, `session_replication_role = replica`, and the limit's CHECK
constraint is dropped inside it; on SQLite check constraints are ignored meanwhile); the test's
transaction is rolled back afterwards, schema change included.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Sum

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.services import (
    OperatorAccount,
    digest_text,
    entry_digest,
    ledger_post,
    reseller_account,
)
from ledger.sql import (
    ACCOUNTS_RULE,
    BALANCE_RULE,
    CHAIN_RULE,
    COUNTS,
    DIGEST_ROWS,
    DIGEST_RULE,
    ENTRIES_RULE,
    LIMIT_RULE,
    PG_DIGESTS,
    RULES,
    SUM_RULE,
)
from ledger.verify import ledger_verify
from tests.factories import ResellerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.ledger_broken_on_purpose]

Kind = LedgerAccount.Kind
TOLERANCE = Decimal("0.00005")
LIMIT_CONSTRAINT = "ledger_account_balance_within_limit"


def _norm(value):
    """Numbers as 4-place Decimals (SQLite hands some back as int or float)."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.0001"))
    return value


def _rows(sql: str, params=None) -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {tuple(_norm(v) for v in row) for row in cursor.fetchall()}


def _set(rows) -> set[tuple]:
    return {tuple(_norm(v) for v in row) for row in rows}


@contextlib.contextmanager
def _past_the_guards():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: ALTER may run
            cursor.execute("SET LOCAL session_replication_role = replica")
            table = LedgerAccount._meta.db_table
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{LIMIT_CONSTRAINT}"')
            yield cursor
        else:
            cursor.execute("PRAGMA ignore_check_constraints = 1")
            try:
                yield cursor
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = 0")


def _post(key, legs):
    return ledger_post(
        kind=LedgerTransaction.Kind.ADJUSTMENT, currency="EUR", legs=legs, idempotency_key=key
    )


def _update(cursor, model, pk, **values):
    """UPDATE one row with raw SQL (the ORM would check nothing more, but say it plainly)."""
    table = model._meta.db_table
    sets = ", ".join(f'"{model._meta.get_field(name).column}" = %s' for name in values)
    sql = f'UPDATE "{table}" SET {sets} WHERE "id" = %s'  # noqa: S608 - names from _meta
    cursor.execute(sql, [*values.values(), pk])


def _delete(cursor, model, pk):
    sql = f'DELETE FROM "{model._meta.db_table}" WHERE "id" = %s'  # noqa: S608 - names from _meta
    cursor.execute(sql, [pk])


@pytest.fixture
def broken_ledger():
    clearing = OperatorAccount(Kind.CLEARING_PAYPAL)
    resellers = ResellerFactory.create_batch(4)
    sales = [reseller_account(reseller=r, kind=Kind.SALES_CREDIT) for r in resellers]
    receipts = [reseller_account(reseller=r, kind=Kind.RECEIPTS) for r in resellers]
    txns = [_post(f"fund-{i}", [(clearing, "-100"), (s, "100")]) for i, s in enumerate(sales)]
    moves = [
        _post(f"move-{i}", [(s, "-30"), (r, "30")])
        for i, (s, r) in enumerate(zip(sales, receipts, strict=True))
    ]
    assert ledger_verify().clean
    entry = {(e.transaction_id, e.account_id): e for e in LedgerEntry.objects.all()}
    with _past_the_guards() as cursor:
        # An amount edited: the sum, the cached balance, the chain and the digest all break.
        _update(cursor, LedgerEntry, entry[(txns[0].pk, sales[0].pk)].pk, amount=Decimal(101))
        # A cached balance edited.
        _update(cursor, LedgerAccount, receipts[1].pk, balance=Decimal(31))
        # A balance_after edited: the chain and the digest.
        _update(cursor, LedgerEntry, entry[(moves[1].pk, sales[1].pk)].pk, balance_after=1)
        # An entry deleted: one entry left.
        _delete(cursor, LedgerEntry, entry[(moves[2].pk, receipts[2].pk)].pk)
        # An account's currency changed; another account deleted with its entries left.
        _update(cursor, LedgerAccount, receipts[3].pk, currency="USD")
        _delete(cursor, LedgerAccount, receipts[0].pk)
        # A lower limit above the balance.
        _update(cursor, LedgerAccount, sales[2].pk, lower_limit=Decimal(500))
        # A transaction without entries.
        LedgerTransaction.objects.create(
            kind="adjustment", currency="EUR", idempotency_key="empty", request_hash="x"
        )
        yield


def _orm_rule(rule: str) -> set[tuple]:
    """What the rule finds, computed from ORM reads."""
    if rule == SUM_RULE:
        sums = LedgerEntry.objects.values_list("transaction_id", "account__currency").annotate(
            total=Sum("amount")
        )
        return _set(row for row in sums if abs(row[2]) >= TOLERANCE)
    if rule == ENTRIES_RULE:
        counted = LedgerTransaction.objects.annotate(n=Count("entries")).filter(n__lt=2)
        return _set(counted.values_list("id", "n"))
    if rule == ACCOUNTS_RULE:
        accounts = {a.pk: a.currency for a in LedgerAccount.objects.all()}
        txns = {t.pk: t.currency for t in LedgerTransaction.objects.all()}
        found = []
        for e in LedgerEntry.objects.all():
            account, txn = accounts.get(e.account_id), txns.get(e.transaction_id)
            if account is None or txn is None or account != txn:
                found.append((e.pk, e.transaction_id, account, txn))
        return _set(found)
    if rule == BALANCE_RULE:
        totals = LedgerAccount.objects.annotate(total=Sum("entries__amount"))
        return _set(
            (a.pk, a.balance, a.total or 0)
            for a in totals
            if abs(a.balance - (a.total or 0)) >= TOLERANCE
        )
    if rule == CHAIN_RULE:
        running: dict[int, Decimal] = defaultdict(Decimal)
        found = []
        for e in LedgerEntry.objects.order_by("id"):
            running[e.account_id] += e.amount
            if abs(e.balance_after - running[e.account_id]) >= TOLERANCE:
                found.append((e.pk, e.account_id, e.balance_after, running[e.account_id]))
        return _set(found)
    if rule == LIMIT_RULE:
        past = LedgerAccount.objects.filter(lower_limit__isnull=False, balance__lt=F("lower_limit"))
        return _set(past.values_list("id", "balance", "lower_limit"))
    if rule == DIGEST_RULE:
        found = []
        for e in LedgerEntry.objects.select_related("transaction"):
            text = digest_text(
                transaction_id=e.transaction_id,
                kind=e.transaction.kind,
                currency=e.transaction.currency,
                account_id=e.account_id,
                amount=e.amount,
                balance_after=e.balance_after,
            )
            if entry_digest(text) != e.digest:
                found.append((e.pk, e.transaction_id))
        return _set(found)
    raise AssertionError(rule)


@pytest.mark.parametrize("rule", [name for name, _ in RULES])
def test_each_rule_finds_what_the_orm_finds(broken_ledger, rule):
    sql = dict(RULES)[rule]
    found = _rows(sql)
    assert found, f"the broken ledger should break {rule!r}"
    assert found == _orm_rule(rule)


def test_the_digest_statements_find_what_python_finds(broken_ledger):
    expected = _orm_rule(DIGEST_RULE)
    assert expected
    if connection.vendor == "postgresql":
        assert _rows(PG_DIGESTS, [settings.LEDGER_DIGEST_KEY]) == expected
    report = ledger_verify()  # on SQLite: Python over DIGEST_ROWS
    assert _set(report.violations[DIGEST_RULE]) == expected
    with connection.cursor() as cursor:
        cursor.execute(DIGEST_ROWS)
        ids = [row[0] for row in cursor.fetchall()]
    assert ids == list(LedgerEntry.objects.order_by("id").values_list("id", flat=True))


def test_the_counts_are_the_orms(broken_ledger):
    models = {
        "transactions": LedgerTransaction,
        "entries": LedgerEntry,
        "accounts": LedgerAccount,
    }
    for label, sql in COUNTS:
        assert _rows(sql) == {(_norm(models[label].objects.count()),)}
