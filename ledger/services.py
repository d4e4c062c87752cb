"""Posting money: the only code that writes ledger rows.

`ledger_post` checks that the legs balance and share the transaction's currency, records the
transaction first (so a replay of its idempotency key waits on the unique index and then
returns the first result), locks the touched accounts in id order, checks every lower limit,
moves the cached balances and writes the entries with their balance after. On PostgreSQL
all of that after the checks in Python is one call of the database function `ledger_post_v2`
(migration ledger 0006) through `ledger.pg`: one round trip per posting. On SQLite the ORM
does the same steps one statement at a time.

Operator accounts (clearing, VAT, revenue, commission expense, ...) are touched by almost
every posting. They are sharded: each has `LEDGER_OPERATOR_SHARDS` rows per currency, and a
posting uses the shard its idempotency key hashes to, so concurrent postings lock different
rows. A posting names an operator leg by its kind (`OperatorAccount`); the shard's row is found
by its unique key where the posting runs (created on first use), so no id is cached in the
process. The operator's balance of a kind is the sum over its shards
(`selectors.operator_balance`).

`ledger_post` is not durable: a service that posts money and writes other rows does both in
its own `transaction.atomic(durable=True)`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    connections,
    transaction,
)
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.money import Money, to_ledger
from ledger import pg
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction

Kind = LedgerAccount.Kind

OPERATOR_KINDS = frozenset(
    {
        Kind.CLEARING_PAYPAL,
        Kind.CLEARING_STRIPE,
        Kind.BANK,
        Kind.VAT_PAYABLE,
        Kind.REVENUE,
        Kind.COMMISSION_EXPENSE,
        Kind.PAYOUTS_PENDING,
    }
)
RESELLER_KINDS = frozenset(
    {Kind.SALES_CREDIT, Kind.COMMISSION, Kind.PENDING, Kind.RECEIPTS, Kind.COMMISSION_OWED}
)
# Accounts that can never go below zero. Receipts (money a reseller collected itself and
# passed on to its customers' balances) and commission owed (commission clawed back after it
# was paid out) are debit-side accounts without a limit.
NEVER_NEGATIVE = frozenset({Kind.SALES_CREDIT, Kind.COMMISSION, Kind.PENDING})


class LedgerError(DomainError):
    """Base of the ledger's domain errors; `str()` is a sentence people can read."""

    code = "ledger"
    message = _("The ledger refused this posting.")


class UnbalancedTransaction(LedgerError):
    code = "unbalanced"
    message = _("The entries of a transaction must balance.")


class CurrencyMismatch(LedgerError):
    code = "currency-mismatch"
    message = _("An account is in %(account_currency)s, the transaction in %(currency)s.")


class InsufficientFunds(LedgerError):
    """An account would go below its lower limit. A service that knows whose account it is
    says so in its own words with `reworded`."""

    code = "insufficient-funds"
    field = "amount"
    message = _("%(account)s is too low: %(available)s available, %(requested)s needed.")

    def __init__(
        self,
        account: LedgerAccount,
        available: Decimal,
        requested: Decimal,
        message: str | Promise | None = None,
    ):
        self.account, self.available, self.requested = account, available, requested
        currency = account.currency
        super().__init__(
            message,
            account=LedgerAccount.Kind(account.kind).label,
            available=Money(available, currency),
            requested=Money(requested, currency),
            currency=currency,
        )

    def reworded(self, message: str | Promise) -> InsufficientFunds:
        """The same refusal, told the way the caller's page needs it (same placeholders)."""
        return type(self)(self.account, self.available, self.requested, message)


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different request: `existing` is the
    transaction posted under it."""

    code = "idempotency-conflict"
    message = _("This form was already sent with other values. Enter it again.")

    def __init__(self, existing: LedgerTransaction):
        super().__init__()
        self.existing = existing


class AlreadyReversed(LedgerError):
    code = "already-reversed"
    message = _("Transaction #%(id)s is already reversed.")


@dataclass(frozen=True)
class OperatorAccount:
    """A leg on an operator account of `kind`; `ledger_post` picks the shard."""

    kind: str


Target = LedgerAccount | OperatorAccount


# --- Accounts ---------------------------------------------------------------------------------


def reseller_account(*, reseller, kind: str, currency: str | None = None) -> LedgerAccount:
    """The reseller's account of `kind` in its currency, created on first use."""
    if kind not in RESELLER_KINDS:
        raise ValueError(f"{kind} is not a reseller account kind")
    account, _ = LedgerAccount.objects.get_or_create(
        owner_type=LedgerAccount.OwnerType.RESELLER,
        reseller=reseller,
        kind=kind,
        currency=currency or str(reseller.currency),
        defaults={"lower_limit": Decimal(0) if kind in NEVER_NEGATIVE else None},
    )
    return account


def customer_account(*, customer, currency: str | None = None) -> LedgerAccount:
    """The customer's balance: strict customers never below zero, permissive ones down to
    minus their credit limit."""
    account, _ = LedgerAccount.objects.get_or_create(
        owner_type=LedgerAccount.OwnerType.CUSTOMER,
        customer=customer,
        kind=Kind.BALANCE,
        currency=currency or str(customer.reseller.currency),
        defaults={
            "reseller_id": customer.reseller_id,
            "lower_limit": customer_lower_limit(customer=customer),
        },
    )
    return account


def customer_lower_limit(*, customer) -> Decimal:
    """0 for a strict customer; minus the credit limit for a permissive one."""
    if customer.balance_policy == customer.BalancePolicy.STRICT:
        return Decimal(0)
    return -to_ledger(customer.credit_limit)


def _operator_shard(*, kind: str, currency: str, shard: int) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(
        owner_type=LedgerAccount.OwnerType.OPERATOR,
        kind=kind,
        currency=currency,
        shard=shard,
    )
    return account


def shard_for(key: str) -> int:
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % settings.LEDGER_OPERATOR_SHARDS


# --- Posting ----------------------------------------------------------------------------------


def digest_text(*, transaction_id, kind, currency, account_id, amount, balance_after) -> str:
    """What an entry's digest covers; ledger_verify builds the same text in SQL."""
    return f"{transaction_id}|{kind}|{currency}|{account_id}|{amount}|{balance_after}"


def entry_digest(text: str) -> str:
    key = settings.LEDGER_DIGEST_KEY
    return hashlib.sha256(f"{key}|{text}".encode()).hexdigest()


def _request_hash(kind, currency, legs, memo, reverses_id) -> str:
    canonical = json.dumps(
        {
            "kind": str(kind),
            "currency": currency,
            "legs": sorted(
                [
                    (f"op:{t.kind}" if isinstance(t, OperatorAccount) else f"a:{t.pk}", str(a))
                    for t, a in legs
                ]
            ),
            "memo": memo,
            "reverses": reverses_id,
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replayed(scope: str, key: str, request_hash: str) -> LedgerTransaction:
    existing = LedgerTransaction.objects.get(idempotency_scope=scope, idempotency_key=key)
    if existing.request_hash != request_hash:
        raise IdempotencyConflict(existing)
    existing.replayed = True
    return existing


def ledger_post(
    *,
    kind: str,
    currency: str,
    legs: Sequence[tuple[Target, Decimal | int | str]],
    idempotency_key: str,
    scope: str = "operator",
    memo: str = "",
    actor=None,
    reseller=None,
    metadata: dict | None = None,
    reverses: LedgerTransaction | None = None,
    savepoint: bool = True,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction, or return the one already posted under this key.

    `at`: when the money moved, if not now (a statement line imported later; the demo's
    month of history). It dates the transaction; it changes nothing else.

    Inside a caller's transaction the posting runs in a savepoint, so a refusal leaves that
    transaction usable. `savepoint=False` saves the two round trips for a caller that rolls
    back on any error anyway: a refusal then leaves its transaction aborted, and the error is
    built from the accounts passed in (as locked by the caller)."""
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    legs = [(target, to_ledger(amount)) for target, amount in legs]
    if len(legs) < 2:
        raise UnbalancedTransaction(_("A transaction needs at least two entries."))
    if any(amount == 0 for _target, amount in legs):
        raise UnbalancedTransaction(_("An entry cannot be zero."))
    total = sum((amount for _target, amount in legs), Decimal(0))
    if total != 0:
        raise UnbalancedTransaction(
            _("The entries do not balance: they sum to %(total)s."), total=total
        )
    for target, _amount in legs:
        if isinstance(target, LedgerAccount) and target.currency != currency:
            raise CurrencyMismatch(account_currency=target.currency, currency=currency)
        if isinstance(target, OperatorAccount) and target.kind not in OPERATOR_KINDS:
            raise ValueError(f"{target.kind} is not an operator account kind")
    request_hash = _request_hash(kind, currency, legs, memo, reverses.pk if reverses else None)
    posting = _Posting(
        kind=kind,
        currency=currency,
        legs=legs,
        scope=scope,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        memo=memo,
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        reseller=reseller,
        metadata=metadata or {},
        reverses=reverses,
        savepoint=savepoint,
        at=at,
    )
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` goes through a proxy
    if db.vendor == "postgresql":
        return _post_postgresql(posting, db)
    return _post_orm(posting)


_TRANSACTION_ATTNAMES = [field.attname for field in LedgerTransaction._meta.concrete_fields]


@dataclass(frozen=True)
class _Posting:
    kind: str
    currency: str
    legs: list[tuple[Target, Decimal]]
    scope: str
    idempotency_key: str
    request_hash: str
    memo: str
    actor_id: int | None
    reseller: object
    metadata: dict
    reverses: LedgerTransaction | None
    savepoint: bool = True
    at: datetime | None = None

    @property
    def shard(self) -> int:
        """The operator shard this posting uses."""
        return shard_for(f"{self.scope}:{self.idempotency_key}")

    def net_legs(self) -> tuple[dict[int, Decimal], dict[tuple[str, int], Decimal]]:
        """Net amount per account other than the operator's, by id (ascending), and per
        operator account, by (kind, shard) (ascending): the order the posting locks them in.
        An OperatorAccount leg is on the posting's shard; an operator account passed as a
        LedgerAccount (a reversal's) keeps its own. Nothing that nets to zero."""
        accounts: dict[int, Decimal] = defaultdict(Decimal)
        operator: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        shard = None
        for target, amount in self.legs:
            if isinstance(target, OperatorAccount):
                if shard is None:
                    shard = self.shard
                operator[(str(target.kind), shard)] += amount
            elif target.owner_type == LedgerAccount.OwnerType.OPERATOR:
                operator[(target.kind, target.shard)] += amount
            else:
                accounts[target.pk] += amount
        accounts = {pk: d for pk, d in sorted(accounts.items()) if d != 0}
        operator = {key: d for key, d in sorted(operator.items()) if d != 0}
        if len(accounts) + len(operator) < 2:
            raise UnbalancedTransaction(_("The entries cancel out on the same account."))
        return accounts, operator

    def deltas(self) -> dict[int, Decimal]:
        """Net amount per account id, in id order, operator shards looked up (and created on
        first use) with the ORM."""
        accounts, operator = self.net_legs()
        deltas: dict[int, Decimal] = defaultdict(Decimal, accounts)
        for (kind, shard), amount in operator.items():
            account = _operator_shard(kind=kind, currency=self.currency, shard=shard)
            deltas[account.pk] += amount
        return {pk: d for pk, d in sorted(deltas.items()) if d != 0}

    def unsaved_transaction(self, pk=None, created_at=None) -> LedgerTransaction:
        values = {
            "id": pk,
            "kind": self.kind,
            "currency": self.currency,
            "memo": self.memo,
            "actor_id": self.actor_id,
            "reseller_id": self.reseller.pk if self.reseller is not None else None,
            "idempotency_scope": self.scope,
            "idempotency_key": self.idempotency_key,
            "request_hash": self.request_hash,
            "reverses_id": self.reverses.pk if self.reverses is not None else None,
            "created_at": created_at,
            "metadata": self.metadata,
        }
        # Positional arguments: Model.__init__'s fast path (a posting builds one per call).
        txn = LedgerTransaction(*(values[name] for name in _TRANSACTION_ATTNAMES))
        if self.reseller is not None:
            LedgerTransaction.reseller.field.set_cached_value(txn, self.reseller)
        if self.reverses is not None:
            LedgerTransaction.reverses.field.set_cached_value(txn, self.reverses)
        return txn

    def entry_row(self, txn_id: int, account_id: int, amount, balance_after) -> tuple:
        text = digest_text(
            transaction_id=txn_id,
            kind=self.kind,
            currency=self.currency,
            account_id=account_id,
            amount=amount,
            balance_after=balance_after,
        )
        return account_id, amount, balance_after, entry_digest(text)


def _insufficient_or_mismatch(posting: _Posting, deltas, refused: set[int]) -> LedgerError:
    """The error for the accounts a posting could not move."""
    for account in LedgerAccount.objects.filter(pk__in=refused).order_by("pk"):
        if account.currency != posting.currency:
            return CurrencyMismatch(
                f"Account {account} is in {account.currency}, "
                f"the transaction in {posting.currency}."
            )
        if account.lower_limit is None or account.pk not in deltas:
            continue  # not refused by a limit
        delta = deltas[account.pk]
        return InsufficientFunds(account, account.balance - account.lower_limit, -delta)
    return _refused(refused)


def _refused(account_ids) -> LedgerError:
    """A refusal that no limit or currency explains (an account that is not there)."""
    ids = ", ".join(map(str, sorted(account_ids)))
    return LedgerError(_("The ledger refused the posting on account %(ids)s."), ids=ids)


def _refusal_without_query(posting: _Posting, deltas, refused: int) -> LedgerError:
    """The error for a refused account, from the accounts the caller passed in (it locked
    them, so their balances are current)."""
    for target, _amount in posting.legs:
        if isinstance(target, LedgerAccount) and target.pk == refused:
            if target.lower_limit is None:
                break
            return InsufficientFunds(
                target, target.balance - target.lower_limit, -deltas[target.pk]
            )
    return _refused([refused])


def _post_orm(posting: _Posting) -> LedgerTransaction:
    """The portable path (SQLite): the ORM, one statement per account."""
    with transaction.atomic():
        if LedgerTransaction.objects.filter(
            idempotency_scope=posting.scope, idempotency_key=posting.idempotency_key
        ).exists():
            return _replayed(posting.scope, posting.idempotency_key, posting.request_hash)
        try:
            with transaction.atomic():
                txn = posting.unsaved_transaction(created_at=posting.at or timezone.now())
                txn.save(force_insert=True)
        except IntegrityError:
            return _not_inserted(posting)
        deltas = posting.deltas()
        locked = LedgerAccount.objects.select_for_update().filter(pk__in=deltas).order_by("pk")
        entries, moved = [], set()
        for account in locked:
            delta = deltas[account.pk]
            new_balance = account.balance + delta
            limit = account.lower_limit
            if account.currency != posting.currency or (
                delta < 0 and limit is not None and new_balance < limit
            ):
                continue
            LedgerAccount.objects.filter(pk=account.pk).update(
                balance=new_balance, version=F("version") + 1
            )
            moved.add(account.pk)
            entries.append(posting.entry_row(txn.pk, account.pk, delta, new_balance))
        if len(moved) != len(deltas):
            raise _insufficient_or_mismatch(posting, deltas, set(deltas) - moved)
        LedgerEntry.objects.bulk_create(
            LedgerEntry(transaction=txn, account_id=a, amount=m, balance_after=b, digest=d)
            for a, m, b, d in entries
        )
    return txn


def _not_inserted(posting: _Posting) -> LedgerTransaction:
    """The insert met a unique key: a replay of the idempotency key, or a second reversal."""
    if LedgerTransaction.objects.filter(
        idempotency_scope=posting.scope, idempotency_key=posting.idempotency_key
    ).exists():
        return _replayed(posting.scope, posting.idempotency_key, posting.request_hash)
    raise AlreadyReversed(id=posting.reverses.pk)


def _post_postgresql(posting: _Posting, db) -> LedgerTransaction:
    """The PostgreSQL path: one statement, the database function `ledger_post_v2` (migration
    ledger 0006), called through `ledger.pg`. Outside a transaction it runs in autocommit, a
    single round trip; inside one it runs in a savepoint, so a refusal leaves the caller's
    transaction usable. A replayed key waits on the unique index (ON CONFLICT) until the first
    posting commits, then returns it."""
    deltas, operator = posting.net_legs()
    created_at = posting.at or timezone.now()
    # Every parameter is sent as text (arrays as array literals) and cast in the statement
    # (ledger.sql.POST): one statement text whatever the values, no adaptation in Python.
    params = [
        posting.kind,
        posting.currency,
        posting.memo,
        _text(posting.actor_id),
        _text(posting.reseller.pk if posting.reseller is not None else None),
        posting.scope,
        posting.idempotency_key,
        posting.request_hash,
        _text(posting.reverses.pk if posting.reverses is not None else None),
        json.dumps(posting.metadata),
        "{" + ",".join(map(str, deltas)) + "}",
        "{" + ",".join(map(str, deltas.values())) + "}",
        "{" + ",".join(kind for kind, _ in operator) + "}",  # plain words: no quoting needed
        "{" + ",".join(str(shard) for _, shard in operator) + "}",
        "{" + ",".join(map(str, operator.values())) + "}",
        settings.LEDGER_DIGEST_KEY,
        created_at.isoformat(),
    ]
    in_savepoint = db.in_atomic_block and posting.savepoint
    atomic = transaction.atomic() if in_savepoint else nullcontext()
    try:
        with atomic:
            txn_id = pg.call_post_function(db, params)
    except pg.PostingRefused as refusal:
        refused = refusal.account_id
        if db.in_atomic_block and not in_savepoint:  # aborted: no query can run now
            raise _refusal_without_query(posting, deltas, refused) from None
        raise _insufficient_or_mismatch(posting, deltas, {refused}) from None
    if txn_id is None:
        return _not_inserted(posting)
    # The function stores p_created_at as given: the row holds exactly this value.
    txn = posting.unsaved_transaction(pk=txn_id, created_at=created_at)
    txn._state.adding, txn._state.db = False, db.alias
    return txn


def _text(value) -> str | None:
    return None if value is None else str(value)


def ledger_reverse(
    *, transaction_id: int, actor, reason: str, idempotency_key: str | None = None
) -> LedgerTransaction:
    """Post the mirror image of a transaction. A transaction is reversed at most once, and
    the reversal needs the funds to be there (a spent top-up cannot be reversed)."""
    original = LedgerTransaction.objects.get(pk=transaction_id)
    if original.kind == LedgerTransaction.Kind.REVERSAL:
        raise LedgerError(_("A reversal cannot itself be reversed; post a new transaction."))
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed(id=original.pk)
    legs = [(entry.account, -entry.amount) for entry in original.entries.select_related("account")]
    return ledger_post(
        kind=LedgerTransaction.Kind.REVERSAL,
        currency=original.currency,
        legs=legs,
        idempotency_key=idempotency_key or f"reverse:{original.pk}",
        scope=original.idempotency_scope,
        memo=reason,
        actor=actor,
        reseller=original.reseller,
        metadata={"reason": reason, "reverses": original.pk},
        reverses=original,
    )
