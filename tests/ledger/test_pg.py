"""ledger.pg: the posting function called through a Django cursor (the default) or through
libpq (LEDGER_POST_LIBPQ), on PostgreSQL.

Most tests run both ways (the `way` fixture). Each commits for real: prepared statements
live in the database session, and the call behaves differently in autocommit and inside a
transaction.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from django.db import DataError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger import pg
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import account_balance
from ledger.services import (
    InsufficientFunds,
    OperatorAccount,
    ledger_post,
    reseller_account,
    shard_for,
)
from ledger.sql import POST_NUMBERED
from tests.factories import ResellerFactory
from tests.ledger.test_concurrency import assert_ledger_clean, fund, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Kind = LedgerAccount.Kind


@pytest.fixture(params=["cursor", "libpq"])
def way(request, settings) -> str:
    settings.LEDGER_POST_LIBPQ = request.param == "libpq"
    return request.param


def _receipts() -> LedgerAccount:
    return reseller_account(reseller=ResellerFactory(), kind=Kind.RECEIPTS)


def _prepared() -> list[str]:
    """The prepared statements of this connection's database session."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements ORDER BY name")
        return [name for (name,) in cursor.fetchall()]


def _fee(account: LedgerAccount, amount: str, key: str, **options) -> LedgerTransaction:
    return ledger_post(
        kind=LedgerTransaction.Kind.FEE,
        currency="EUR",
        legs=[(account, f"-{amount}"), (OperatorAccount(Kind.REVENUE), amount)],
        idempotency_key=key,
        **options,
    )


class Boom(Exception):
    pass


def test_both_ways_post_and_replay_the_same(way):
    a = _receipts()
    first = fund(a, "5", "same")
    again = fund(a, "5", "same")
    assert (again.pk, again.replayed) == (first.pk, True)
    assert account_balance(account=a) == Decimal("5.0000")
    assert_ledger_clean()


def test_a_posting_is_one_statement_that_query_logging_sees(way):
    """While queries are logged (tests counting them, DEBUG) the call goes through a Django
    cursor either way, so it is counted."""
    a = _receipts()
    fund(a, "5", "first")
    with CaptureQueriesContext(connection) as queries:
        fund(a, "7", "logged")
    calls = [q for q in queries.captured_queries if "ledger_post_v" in q["sql"]]
    assert len(calls) == 1
    assert calls[0]["sql"].startswith("SELECT ledger_post_v2(")
    assert account_balance(account=a) == Decimal("12.0000")
    assert_ledger_clean()


def test_the_cursor_keeps_nothing_in_the_session_and_libpq_prepares_once(way):
    a = _receipts()
    fund(a, "5", "one")
    fund(a, "6", "two")
    assert _prepared() == ([] if way == "cursor" else [pg.STATEMENT_NAME.decode()])
    assert_ledger_clean()


def test_the_statement_is_prepared_again_when_the_session_lost_it(way):
    """DEALLOCATE ALL (a pooler resetting the session does it) drops the server's prepared
    statement: in autocommit the next posting prepares it again instead of failing."""
    a = _receipts()
    fund(a, "5", "first")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    fund(a, "6", "second")
    assert account_balance(account=a) == Decimal("11.0000")
    assert _prepared() == ([] if way == "cursor" else [pg.STATEMENT_NAME.decode()])
    assert_ledger_clean()


def test_inside_a_transaction_a_lost_statement_does_not_matter(way):
    """As the recharge posts: in a durable transaction, without a savepoint. The statement
    was prepared before; the session lost it; the posting inside the transaction does not
    depend on it (a failure there would abort the whole transaction)."""
    a = _receipts()
    fund(a, "5", "prepared-before")
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        a = LedgerAccount.objects.select_for_update().get(pk=a.pk)
        _fee(a, "2", "in-transaction", savepoint=False)
    assert account_balance(account=a) == Decimal("3.0000")
    assert_ledger_clean()


def test_a_posting_that_opens_a_transaction_rolls_back_with_it(way):
    """The posting is the transaction's first statement: it runs in that transaction, not in
    autocommit beside it."""
    a = _receipts()
    fund(a, "5", "fund")
    _fee(a, "1", "warm")  # as in a process that has posted before
    with pytest.raises(Boom), transaction.atomic(durable=True):
        _fee(a, "2", "rolled-back", savepoint=False)
        raise Boom
    assert account_balance(account=a) == Decimal("4.0000")
    assert not LedgerTransaction.objects.filter(idempotency_key="rolled-back").exists()
    assert_ledger_clean()


def test_a_session_that_has_the_statement_already_is_used(settings):
    """Behind a transaction-mode pooler a new connection can meet a server session in which
    the statement is prepared already (42P05 on preparing it): it is used as it is."""
    settings.LEDGER_POST_LIBPQ = True
    a = _receipts()
    connection.close()  # a new session, which pg has not prepared anything on
    with connection.cursor() as cursor:
        name = pg.STATEMENT_NAME.decode()
        cursor.execute(f"PREPARE {name} AS {POST_NUMBERED.decode()}")
    fund(a, "5", "pooled")
    assert account_balance(account=a) == Decimal("5.0000")
    assert_ledger_clean()


def test_a_refusal_is_insufficient_funds_and_changes_nothing(way):
    sales = reseller_account(reseller=ResellerFactory(), kind=Kind.SALES_CREDIT)
    fund(sales, "5", "fund")
    assert not connection.queries_logged
    with pytest.raises(InsufficientFunds) as refused:
        _fee(sales, "9", "too-much")
    assert refused.value.account.pk == sales.pk
    assert account_balance(account=sales) == Decimal("5.0000")
    assert LedgerTransaction.objects.count() == 1
    assert_ledger_clean()


def _params(currency: str, ids: list[int]) -> list[str | None]:
    return [
        "fee",
        currency,
        "",
        None,
        None,
        "operator",
        "direct",
        "0" * 64,
        None,
        "{}",
        "{" + ",".join(map(str, ids)) + "}",
        "{-1,1}",
        "{}",
        "{}",
        "{}",
        "key",
        timezone.now().isoformat(),
    ]


def test_any_other_error_is_djangos_error_for_its_sqlstate(way):
    """A currency too long for its column: SQLSTATE 22001, Django's DataError, with
    PostgreSQL's message."""
    ids = sorted([_receipts().pk, _receipts().pk])
    with pytest.raises(
        DataError, match=r"^value too long for type character varying\(3\)"
    ) as raised:
        pg.call_post_function(connection, _params("EURO", ids))
    assert isinstance(raised.value.__cause__, psycopg.errors.StringDataRightTruncation)
    assert not LedgerTransaction.objects.exists()


def test_a_lost_connection_is_an_operational_error(way):
    a = _receipts()
    fund(a, "5", "fund")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], host=db["HOST"], port=db["PORT"] or None, user=db["USER"],
        password=db["PASSWORD"] or None, autocommit=True,
    ) as other:  # fmt: skip
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    with pytest.raises(OperationalError):
        fund(a, "6", "lost")
    connection.close()
    assert account_balance(account=a) == Decimal("5.0000")
    assert_ledger_clean()


# --- Operator shards: found by their key where the posting runs ----------------------------------


def _operator_rows(kind: str) -> list[tuple[int, int]]:
    rows = LedgerAccount.objects.filter(owner_type=LedgerAccount.OwnerType.OPERATOR, kind=kind)
    return list(rows.values_list("shard", "pk"))


def test_the_operator_shard_is_the_one_the_key_hashes_to_created_on_first_use(way):
    a = _receipts()
    fund(a, "5", "fund")
    assert _operator_rows(Kind.REVENUE) == []
    txn = _fee(a, "2", "fee-1")
    ((shard, pk),) = _operator_rows(Kind.REVENUE)
    assert shard == shard_for("operator:fee-1")
    assert txn.entries.get(account__kind=Kind.REVENUE).account_id == pk
    assert_ledger_clean()


@pytest.mark.parametrize("savepoint", [True, False])
def test_a_shard_rolled_back_with_its_transaction_is_created_again(way, savepoint):
    """What used to leave a stale id in a process-wide cache: the posting that created the
    shard was rolled back. The next posting, in a transaction of its own, just finds none and
    creates it."""
    a = _receipts()
    fund(a, "5", "fund")
    with pytest.raises(Boom), transaction.atomic():
        _fee(a, "2", "same-key")
        raise Boom
    assert _operator_rows(Kind.REVENUE) == []
    with transaction.atomic():
        locked = LedgerAccount.objects.select_for_update().get(pk=a.pk)
        _fee(locked, "2", "same-key", savepoint=savepoint)
    assert [shard for shard, _ in _operator_rows(Kind.REVENUE)] == [shard_for("operator:same-key")]
    assert account_balance(account=a) == Decimal("3.0000")
    assert_ledger_clean()


def test_concurrent_first_postings_on_a_new_shard_create_it_once(way):
    a = _receipts()
    fund(a, "100", "fund")
    shard = shard_for("operator:first-0")
    keys = [k for k in (f"first-{i}" for i in range(400)) if shard_for(f"operator:{k}") == shard]
    outcomes = run_concurrently(8, lambda i: _fee(a, "1", keys[i]))
    assert all(isinstance(o, LedgerTransaction) for o in outcomes), outcomes
    assert [s for s, _ in _operator_rows(Kind.REVENUE)] == [shard]
    assert account_balance(account=a) == Decimal("92.0000")
    assert_ledger_clean()
