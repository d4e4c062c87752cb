"""Posting money: the only code that writes ledger rows.

`ledger_post` checks that the legs balance and share the transaction's currency, records the
transaction first (so a replay of its idempotency key waits on the unique index and then
returns the first result), locks the touched accounts in id order, checks every lower limit,
moves the cached balances and writes the entries with their balance after.

Operator accounts (clearing, VAT, revenue, commission expense, ...) are touched by almost
every posting. They are sharded: each has `LEDGER_OPERATOR_SHARDS` rows per currency, and a
posting uses the shard its idempotency key hashes to, so concurrent postings lock different
rows. The operator's balance of a kind is the sum over its shards (`selectors.operator_balance`).

`ledger_post` is not durable: a service that posts money and writes other rows does both in
its own `transaction.atomic(durable=True)`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.money import to_ledger

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
RESELLER_KINDS = frozenset({Kind.SALES_CREDIT, Kind.COMMISSION, Kind.PENDING, Kind.RECEIPTS})
# Accounts that can never go below zero. Receipts (money a reseller collected itself and
# passed on to its customers' balances) is a debit-side account without a limit.
NEVER_NEGATIVE = frozenset({Kind.SALES_CREDIT, Kind.COMMISSION, Kind.PENDING})


class LedgerError(Exception):
    """Base of the ledger's domain errors; `str()` is a sentence people can read."""


class UnbalancedTransaction(LedgerError):
    pass


class CurrencyMismatch(LedgerError):
    pass


class InsufficientFunds(LedgerError):
    def __init__(self, account: LedgerAccount, available: Decimal, requested: Decimal):
        self.account, self.available, self.requested = account, available, requested
        super().__init__(
            f"Not enough funds in {account.get_kind_display()}: {available} {account.currency} "
            f"available, {requested} {account.currency} needed."
        )


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different request."""


class AlreadyReversed(LedgerError):
    pass


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
    strict = customer.balance_policy == customer.BalancePolicy.STRICT
    account, _ = LedgerAccount.objects.get_or_create(
        owner_type=LedgerAccount.OwnerType.CUSTOMER,
        customer=customer,
        kind=Kind.BALANCE,
        currency=currency or str(customer.reseller.currency),
        defaults={
            "reseller_id": customer.reseller_id,
            "lower_limit": Decimal(0) if strict else -to_ledger(customer.credit_limit),
        },
    )
    return account


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
        raise IdempotencyConflict(
            f"The idempotency key {key!r} was already used for a different posting."
        )
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
) -> LedgerTransaction:
    """Post one balanced transaction, or return the one already posted under this key."""
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    legs = [(target, to_ledger(amount)) for target, amount in legs]
    if len(legs) < 2:
        raise UnbalancedTransaction("A transaction needs at least two entries.")
    if any(amount == 0 for _, amount in legs):
        raise UnbalancedTransaction("An entry cannot be zero.")
    total = sum((amount for _, amount in legs), Decimal(0))
    if total != 0:
        raise UnbalancedTransaction(f"The entries do not balance: they sum to {total}.")
    for target, _ in legs:
        if isinstance(target, LedgerAccount) and target.currency != currency:
            raise CurrencyMismatch(
                f"Account {target} is in {target.currency}, the transaction in {currency}."
            )
        if isinstance(target, OperatorAccount) and target.kind not in OPERATOR_KINDS:
            raise ValueError(f"{target.kind} is not an operator account kind")
    request_hash = _request_hash(kind, currency, legs, memo, reverses.pk if reverses else None)

    with transaction.atomic():
        existing = LedgerTransaction.objects.filter(
            idempotency_scope=scope, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return _replayed(scope, idempotency_key, request_hash)
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    kind=kind,
                    currency=currency,
                    memo=memo,
                    actor=actor if actor is not None and actor.is_authenticated else None,
                    reseller=reseller,
                    idempotency_scope=scope,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                    reverses=reverses,
                    metadata=metadata or {},
                )
        except IntegrityError:
            already = LedgerTransaction.objects.filter(reverses=reverses)
            if reverses is not None and already.exists():
                raise AlreadyReversed(f"Transaction #{reverses.pk} is already reversed.") from None
            return _replayed(scope, idempotency_key, request_hash)

        shard = shard_for(f"{scope}:{idempotency_key}")
        deltas: dict[int, Decimal] = defaultdict(Decimal)
        for target, amount in legs:
            if isinstance(target, OperatorAccount):
                target = _operator_shard(kind=target.kind, currency=currency, shard=shard)
            deltas[target.pk] += amount
        locked = {
            a.pk: a
            for a in LedgerAccount.objects.select_for_update().filter(pk__in=deltas).order_by("pk")
        }
        entries = []
        for account_id in sorted(deltas):
            account, delta = locked[account_id], deltas[account_id]
            if account.currency != currency:
                raise CurrencyMismatch(
                    f"Account {account} is in {account.currency}, the transaction in {currency}."
                )
            new_balance = account.balance + delta
            if delta < 0 and account.lower_limit is not None and new_balance < account.lower_limit:
                raise InsufficientFunds(account, account.balance - account.lower_limit, -delta)
            account.balance = new_balance
            LedgerAccount.objects.filter(pk=account_id).update(
                balance=new_balance, version=F("version") + 1
            )
            if delta != 0:
                text = digest_text(
                    transaction_id=txn.pk,
                    kind=kind,
                    currency=currency,
                    account_id=account_id,
                    amount=delta,
                    balance_after=new_balance,
                )
                entries.append(
                    LedgerEntry(
                        transaction=txn,
                        account=account,
                        amount=delta,
                        balance_after=new_balance,
                        digest=entry_digest(text),
                    )
                )
        if len(entries) < 2:
            raise UnbalancedTransaction("The entries cancel out on the same account.")
        LedgerEntry.objects.bulk_create(entries)
    return txn


def ledger_reverse(
    *, transaction_id: int, actor, reason: str, idempotency_key: str | None = None
) -> LedgerTransaction:
    """Post the mirror image of a transaction. A transaction is reversed at most once, and
    the reversal needs the funds to be there (a spent top-up cannot be reversed)."""
    original = LedgerTransaction.objects.get(pk=transaction_id)
    if original.kind == LedgerTransaction.Kind.REVERSAL:
        raise LedgerError("A reversal cannot itself be reversed; post a new transaction.")
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed(f"Transaction #{original.pk} is already reversed.")
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


@transaction.atomic(durable=True)
def ledger_transaction_reverse(*, transaction_id: int, actor, reason: str) -> LedgerTransaction:
    """Staff action: reverse a transaction with a reason, audited in the same transaction."""
    from resellers.services import audit_record

    reason = reason.strip()
    if not reason:
        raise LedgerError("A reversal needs a reason.")
    reversal = ledger_reverse(transaction_id=transaction_id, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="ledger.reversed",
        reseller=reversal.reseller,
        obj=reversal,
        data={"reverses": transaction_id, "reason": reason},
    )
    return reversal
