"""Property-based tests of the posting service against a model of the balances.

A hypothesis state machine drives random sequences of postings over a small world (two
resellers, a strict and a permissive customer, operator accounts through `OperatorAccount`):
fundings from operator clearing, payouts to the operator, transfers and three-leg postings
with random amounts (2 to 4 places, often more than the balance), reversals of random
earlier transactions, replays of earlier idempotency keys with an equivalent request (same
transaction back, nothing posted) or a different one (IdempotencyConflict), retries of keys
whose posting was refused, and postings that must be refused before touching anything
(unbalanced, mixed currencies, legs cancelling on one account).

Python keeps the expected balances. After every step: every cached balance equals the model,
the operator's balance per kind equals the model, all balances of a currency sum to zero,
the number of transactions is the model's, `ledger_verify()` is clean and (on PostgreSQL)
the deferred constraint triggers fire and pass. InsufficientFunds is expected exactly when
the model says a debited account would go below its lower limit.

Each hypothesis example runs in its own savepoint (opened when the machine is built and
rolled back in its teardown) inside the test's transaction, so every example starts from a
fresh world although ledger rows can never be deleted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from customers.models import Customer
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.selectors import account_balance, operator_balance
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
from ledger.verify import ledger_verify
from tests.factories import CustomerFactory, ResellerFactory, StaffFactory

Kind = LedgerAccount.Kind
TxnKind = LedgerTransaction.Kind
CLEARING = Kind.CLEARING_PAYPAL
PAYOUTS = Kind.PAYOUTS_PENDING
CREDIT_LIMIT = Decimal("50.00")

# Names of the owner accounts a machine works with (the operator's are OperatorAccount legs).
EUR_ACCOUNTS = (
    "a_sales",  # reseller A sales credit, limit 0
    "a_commission",  # reseller A commission credit, limit 0
    "a_receipts",  # reseller A receipts, no limit
    "b_sales",  # reseller B sales credit, limit 0
    "c_strict",  # strict customer of A, limit 0
    "c_permissive",  # permissive customer of B, limit -50
)
USD_ACCOUNTS = ("a_sales_usd",)
ALL_ACCOUNTS = EUR_ACCOUNTS + USD_ACCOUNTS
EXPECTED_LIMITS = {
    "a_sales": Decimal(0),
    "a_commission": Decimal(0),
    "a_receipts": None,
    "b_sales": Decimal(0),
    "c_strict": Decimal(0),
    "c_permissive": -CREDIT_LIMIT,
    "a_sales_usd": Decimal(0),
}


def _amount_with_places(places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(1).scaleb(-places), max_value=Decimal(250), places=places)


# Positive amounts with 2, 3 or 4 decimal places, small and large against the balances.
amounts = st.sampled_from([2, 3, 4]).flatmap(_amount_with_places)
eur_account = st.sampled_from(EUR_ACCOUNTS)
any_account = st.sampled_from(ALL_ACCOUNTS)
# How a replay spells an amount: the same Decimal, its string, or with extra trailing zeros.
spellings = st.sampled_from(["decimal", "string", "padded"])


def _spell(amount: Decimal, how: str) -> Decimal | str:
    if how == "string":
        return str(amount)
    if how == "padded":
        return f"{amount:.6f}"
    return amount


@dataclass
class Posted:
    """A posting the ledger accepted: what was asked, and the transaction it returned."""

    pk: int
    kind: str
    currency: str
    legs: list[tuple[str, Decimal]]  # (account name or "op:<kind>", amount)
    key: str
    scope: str
    memo: str
    reverses: int | None = None  # index into Machine.posted
    deltas: dict[str, Decimal] = field(default_factory=dict)  # account name -> delta
    shard_deltas: dict[int, Decimal] = field(default_factory=dict)  # operator account id
    reversed: bool = False


@dataclass
class Refused:
    """A posting refused for lack of funds: its key must stay free for a retry."""

    kind: str
    currency: str
    legs: list[tuple[str, Decimal]]
    key: str
    memo: str


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        try:
            self._build_world()
        except BaseException:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)
            raise

    # --- world and model --------------------------------------------------------------------

    def _build_world(self) -> None:
        reseller_a = ResellerFactory(currency="EUR")
        reseller_b = ResellerFactory(currency="EUR")
        strict = CustomerFactory(reseller=reseller_a)
        permissive = CustomerFactory(
            reseller=reseller_b,
            balance_policy=Customer.BalancePolicy.PERMISSIVE,
            credit_limit=CREDIT_LIMIT,
        )
        self.staff = StaffFactory(mfa=False)
        self.accounts: dict[str, LedgerAccount] = {
            "a_sales": reseller_account(reseller=reseller_a, kind=Kind.SALES_CREDIT),
            "a_commission": reseller_account(reseller=reseller_a, kind=Kind.COMMISSION),
            "a_receipts": reseller_account(reseller=reseller_a, kind=Kind.RECEIPTS),
            "b_sales": reseller_account(reseller=reseller_b, kind=Kind.SALES_CREDIT),
            "c_strict": customer_account(customer=strict),
            "c_permissive": customer_account(customer=permissive),
            "a_sales_usd": reseller_account(
                reseller=reseller_a, kind=Kind.SALES_CREDIT, currency="USD"
            ),
        }
        for name, account in self.accounts.items():
            account.refresh_from_db()
            assert account.lower_limit == EXPECTED_LIMITS[name], name
            assert account.balance == 0, name
        self.by_id = {a.pk: name for name, a in self.accounts.items()}
        self.balance: dict[str, Decimal] = {name: Decimal(0) for name in self.accounts}
        # Operator balances per (kind, currency), summed over shards, and per shard account.
        self.operator: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.shard_balance: dict[int, Decimal] = defaultdict(Decimal)
        self.posted: list[Posted] = []
        self.refused: list[Refused] = []
        self.transactions_before = LedgerTransaction.objects.count()
        self.serial = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _key(self) -> str:
        self.serial += 1
        return f"k{self.serial}"

    def _target(self, name: str):
        if name.startswith("op:"):
            return OperatorAccount(name[3:])
        return self.accounts[name]

    def _limit(self, name: str) -> Decimal | None:
        return EXPECTED_LIMITS[name]

    def _breaches(self, deltas: dict[str, Decimal]) -> set[str]:
        """The owner accounts the deltas would push below their lower limit."""
        return {
            name
            for name, delta in deltas.items()
            if delta < 0
            and self._limit(name) is not None
            and self.balance[name] + delta < self._limit(name)
        }

    @staticmethod
    def _owner_deltas(legs) -> dict[str, Decimal]:
        deltas: dict[str, Decimal] = defaultdict(Decimal)
        for name, amount in legs:
            if not name.startswith("op:"):
                deltas[name] += amount
        return dict(deltas)

    def _post(self, *, kind, currency, legs, key, memo):
        return ledger_post(
            kind=kind,
            currency=currency,
            legs=[(self._target(n), a) for n, a in legs],
            idempotency_key=key,
            memo=memo,
            actor=self.staff,
        )

    def _apply(self, txn: LedgerTransaction, record: Posted) -> None:
        """Check the entries the ledger wrote for a new transaction and move the model."""
        assert txn.pk not in {p.pk for p in self.posted}, "a new posting returned an old txn"
        entries = list(LedgerEntry.objects.filter(transaction=txn).select_related("account"))
        written: dict[int, Decimal] = {}
        for entry in entries:
            assert entry.account_id not in written, "two entries on one account"
            written[entry.account_id] = entry.amount
        owner_written = {self.by_id[i]: a for i, a in written.items() if i in self.by_id}
        expected = {n: d for n, d in record.deltas.items() if d != 0}
        assert owner_written == expected
        for name, delta in expected.items():
            self.balance[name] += delta
        shard_deltas = {}
        for entry in entries:
            if entry.account_id in self.by_id:
                assert entry.balance_after == self.balance[self.by_id[entry.account_id]]
                continue
            account = entry.account
            assert account.owner_type == LedgerAccount.OwnerType.OPERATOR
            assert account.currency == record.currency
            self.operator[(account.kind, account.currency)] += entry.amount
            self.shard_balance[account.pk] += entry.amount
            assert entry.balance_after == self.shard_balance[account.pk]
            shard_deltas[account.pk] = entry.amount
        if record.reverses is None:
            operator_legs = Counter()
            for name, amount in record.legs:
                if name.startswith("op:"):
                    operator_legs[name[3:]] += amount
            by_kind = Counter()
            for account_id, amount in shard_deltas.items():
                by_kind[LedgerAccount.objects.get(pk=account_id).kind] += amount
            assert {k: v for k, v in by_kind.items() if v} == {
                k: v for k, v in operator_legs.items() if v
            }
        record.shard_deltas = shard_deltas
        self.posted.append(record)

    def _attempt(self, *, kind, currency, legs, memo="") -> None:
        """Post a new request and check it succeeds, or fails for lack of funds, exactly
        as the model says."""
        key = self._key()
        deltas = self._owner_deltas(legs)
        breaches = self._breaches(deltas)
        note(f"post {key} {kind} {currency} {legs} -> breaches {sorted(breaches)}")
        if breaches:
            with pytest.raises(InsufficientFunds) as caught:
                self._post(kind=kind, currency=currency, legs=legs, key=key, memo=memo)
            self._check_insufficient(caught.value, deltas, breaches)
            self.refused.append(Refused(kind, currency, legs, key, memo))
            return
        txn = self._post(kind=kind, currency=currency, legs=legs, key=key, memo=memo)
        record = Posted(
            pk=txn.pk,
            kind=kind,
            currency=currency,
            legs=legs,
            key=key,
            scope="operator",
            memo=memo,
            deltas=deltas,
        )
        self._apply(txn, record)

    def _check_insufficient(self, exc: InsufficientFunds, deltas, breaches) -> None:
        name = self.by_id.get(exc.account.pk)
        assert name in breaches, f"InsufficientFunds on {exc.account}, expected {breaches}"
        assert exc.available == self.balance[name] - self._limit(name)
        assert exc.requested == -deltas[name]

    # --- rules ------------------------------------------------------------------------------

    @rule(name=any_account, amount=amounts)
    def fund(self, name, amount):
        """Money arrives through PayPal: operator clearing -> the account."""
        currency = self.accounts[name].currency
        self._attempt(
            kind=TxnKind.TOPUP,
            currency=currency,
            legs=[(f"op:{CLEARING}", -amount), (name, amount)],
            memo="top-up",
        )

    @rule(name=any_account, amount=amounts)
    def payout(self, name, amount):
        """The account -> the operator's payouts pending (may exceed the balance)."""
        currency = self.accounts[name].currency
        self._attempt(
            kind=TxnKind.PAYOUT,
            currency=currency,
            legs=[(name, -amount), (f"op:{PAYOUTS}", amount)],
        )

    @rule(source=eur_account, dest=eur_account, amount=amounts)
    def transfer(self, source, dest, amount):
        legs = [(source, -amount), (dest, amount)]
        if source == dest:
            # The legs cancel out on one account: refused, and nothing is left behind.
            with pytest.raises(UnbalancedTransaction):
                self._post(
                    kind=TxnKind.TRANSFER, currency="EUR", legs=legs, key=self._key(), memo=""
                )
            return
        self._attempt(kind=TxnKind.TRANSFER, currency="EUR", legs=legs)

    @rule(
        source=st.sampled_from([n for n in EUR_ACCOUNTS if EXPECTED_LIMITS[n] is not None]),
        dest=eur_account,
        offset=st.sampled_from(["-0.0001", "0", "0.0001"]),
    )
    def move_exactly_the_available_funds(self, source, dest, offset):
        """The boundary: down to exactly the lower limit is allowed, 0.0001 past it is not."""
        if dest == source:
            dest = "a_receipts"
        amount = self.balance[source] - self._limit(source) + Decimal(offset)
        if amount <= 0:
            amount = Decimal("0.0001")
        self._attempt(
            kind=TxnKind.TRANSFER, currency="EUR", legs=[(source, -amount), (dest, amount)]
        )

    @rule(
        names=st.lists(eur_account, min_size=3, max_size=3, unique=True),
        first=amounts,
        second=amounts,
    )
    def two_debits_one_credit(self, names, first, second):
        """Two debited accounts, either or both of which may lack the funds."""
        a, b, c = names
        self._attempt(
            kind=TxnKind.ADJUSTMENT,
            currency="EUR",
            legs=[(a, -first), (b, -second), (c, first + second)],
            memo="split",
        )

    @rule(name=eur_account, amount=amounts, skew=st.sampled_from(["0.0001", "0.01", "-0.5"]))
    def unbalanced_is_refused(self, name, amount, skew):
        legs = [(f"op:{CLEARING}", -amount), (name, amount + Decimal(skew))]
        with pytest.raises(UnbalancedTransaction):
            self._post(kind=TxnKind.TOPUP, currency="EUR", legs=legs, key=self._key(), memo="")

    @rule(name=eur_account, amount=amounts)
    def mixed_currencies_are_refused(self, name, amount):
        legs = [("a_sales_usd", -amount), (name, amount)]
        with pytest.raises(CurrencyMismatch):
            self._post(kind=TxnKind.TRANSFER, currency="EUR", legs=legs, key=self._key(), memo="")
        with pytest.raises(CurrencyMismatch):
            self._post(kind=TxnKind.TRANSFER, currency="USD", legs=legs, key=self._key(), memo="")

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def reverse(self, data):
        index = data.draw(st.integers(0, len(self.posted) - 1), label="index")
        original = self.posted[index]
        own_key = data.draw(st.booleans(), label="own idempotency key")
        key = self._key() if own_key else None
        note(f"reverse #{original.pk} ({original.kind}), key {key}")

        def call():
            return ledger_reverse(
                transaction_id=original.pk, actor=self.staff, reason="test", idempotency_key=key
            )

        if original.kind == TxnKind.REVERSAL:
            with pytest.raises(LedgerError) as caught:
                call()
            assert not isinstance(caught.value, AlreadyReversed | InsufficientFunds)
            return
        if original.reversed:
            with pytest.raises(AlreadyReversed):
                call()
            return
        deltas = {name: -delta for name, delta in original.deltas.items() if delta != 0}
        breaches = self._breaches(deltas)
        if breaches:
            with pytest.raises(InsufficientFunds) as caught:
                call()
            self._check_insufficient(caught.value, deltas, breaches)
            return
        txn = call()
        assert txn.kind == TxnKind.REVERSAL
        assert txn.reverses_id == original.pk
        assert txn.idempotency_scope == original.scope
        assert txn.idempotency_key == (key or f"reverse:{original.pk}")
        legs = list(deltas.items())
        record = Posted(
            pk=txn.pk,
            kind=TxnKind.REVERSAL,
            currency=original.currency,
            legs=legs,
            key=txn.idempotency_key,
            scope=original.scope,
            memo="test",
            reverses=index,
            deltas=deltas,
        )
        self._apply(txn, record)
        # The operator legs went back on the very shard accounts the original used.
        assert record.shard_deltas == {i: -d for i, d in original.shard_deltas.items()}
        original.reversed = True

    def _replay_args(self, record: Posted):
        if record.reverses is None:
            legs = [(self._target(n), a) for n, a in record.legs]
            reverses = None
        else:
            original = LedgerTransaction.objects.get(pk=self.posted[record.reverses].pk)
            # A reversal's legs are the original's accounts (operator shards included).
            legs = [
                (e.account, -e.amount)
                for e in LedgerEntry.objects.filter(transaction=original).select_related("account")
            ]
            reverses = original
        return legs, reverses

    @precondition(lambda self: self.posted)
    @rule(data=st.data(), spelling=spellings)
    def replay_same_request(self, data, spelling):
        """The same request again under its key: the first transaction back, nothing new."""
        record = data.draw(st.sampled_from(self.posted), label="record")
        legs, reverses = self._replay_args(record)
        order = data.draw(st.permutations(range(len(legs))), label="leg order")
        legs = [(legs[i][0], _spell(legs[i][1], spelling)) for i in order]
        note(f"replay {record.key} of #{record.pk}")
        txn = ledger_post(
            kind=record.kind,
            currency=record.currency,
            legs=legs,
            idempotency_key=record.key,
            scope=record.scope,
            memo=record.memo,
            actor=self.staff,
            reverses=reverses,
        )
        assert txn.pk == record.pk

    @precondition(lambda self: self.posted)
    @rule(data=st.data(), change=st.sampled_from(["memo", "amounts", "kind"]))
    def replay_different_request(self, data, change):
        """Another request under a used key: IdempotencyConflict, whatever the funds."""
        record = data.draw(st.sampled_from(self.posted), label="record")
        legs, reverses = self._replay_args(record)
        kind, memo = record.kind, record.memo
        if change == "memo":
            memo = memo + " (changed)"
        elif change == "amounts":
            factor = data.draw(st.sampled_from([2, 3, 100]), label="factor")
            legs = [(target, amount * factor) for target, amount in legs]
        else:
            kind = TxnKind.FEE if kind != TxnKind.FEE else TxnKind.USAGE
        note(f"replay {record.key} of #{record.pk} with different {change}")
        with pytest.raises(IdempotencyConflict):
            ledger_post(
                kind=kind,
                currency=record.currency,
                legs=legs,
                idempotency_key=record.key,
                scope=record.scope,
                memo=memo,
                actor=self.staff,
                reverses=reverses,
            )

    @precondition(lambda self: self.refused)
    @rule(data=st.data())
    def retry_refused(self, data):
        """A key whose posting was refused is free: a retry is a new request, judged on the
        funds there are now."""
        refused = data.draw(st.sampled_from(self.refused), label="refused")
        self.refused.remove(refused)
        deltas = self._owner_deltas(refused.legs)
        breaches = self._breaches(deltas)
        note(f"retry {refused.key} -> breaches {sorted(breaches)}")
        post = {
            "kind": refused.kind,
            "currency": refused.currency,
            "legs": refused.legs,
            "key": refused.key,
            "memo": refused.memo,
        }
        if breaches:
            with pytest.raises(InsufficientFunds) as caught:
                self._post(**post)
            self._check_insufficient(caught.value, deltas, breaches)
            self.refused.append(refused)
            return
        txn = self._post(**post)
        self._apply(
            txn,
            Posted(
                pk=txn.pk,
                kind=refused.kind,
                currency=refused.currency,
                legs=refused.legs,
                key=refused.key,
                scope="operator",
                memo=refused.memo,
                deltas=deltas,
            ),
        )

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def cached_balances_equal_the_model(self):
        cached = dict(LedgerAccount.objects.filter(pk__in=self.by_id).values_list("pk", "balance"))
        assert {self.by_id[pk]: b for pk, b in cached.items()} == self.balance
        # Sums are taken in Python: exact on every backend (SQLite sums decimals as floats).
        operator: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for kind, currency, balance in LedgerAccount.objects.filter(
            owner_type=LedgerAccount.OwnerType.OPERATOR
        ).values_list("kind", "currency", "balance"):
            operator[(kind, currency)] += balance
        expected = {k: v for k, v in self.operator.items() if v != 0}
        assert {k: v for k, v in operator.items() if v != 0} == expected
        shards = dict(
            LedgerAccount.objects.filter(pk__in=self.shard_balance).values_list("pk", "balance")
        )
        assert shards == dict(self.shard_balance)
        # The selectors read the same numbers.
        for (kind, currency), total in self.operator.items():
            assert operator_balance(kind=kind, currency=currency) == total, (kind, currency)
        for name, account in self.accounts.items():
            assert account_balance(account=account) == self.balance[name], name

    @invariant()
    def every_currency_sums_to_zero(self):
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for currency, balance in LedgerAccount.objects.values_list("currency", "balance"):
            totals[currency] += balance
        assert set(totals) >= {"EUR", "USD"}
        assert all(total == 0 for total in totals.values()), dict(totals)

    @invariant()
    def nothing_posted_but_what_the_model_expects(self):
        count = LedgerTransaction.objects.count() - self.transactions_before
        assert count == len(self.posted)
        assert LedgerTransaction.objects.filter(reverses__isnull=False).count() == sum(
            1 for p in self.posted if p.reversed
        )

    @invariant()
    def ledger_verifies_clean(self):
        report = ledger_verify()
        assert report.clean, {rule: rows for rule, rows in report.violations.items() if rows}

    @invariant()
    def deferred_database_checks_pass(self):
        """On PostgreSQL, fire the deferred constraint triggers (balanced transactions,
        two entries or more) now instead of at a commit that never comes in this test."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.mark.slow
@pytest.mark.django_db
def test_random_postings_keep_the_ledger_consistent():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
