"""Reversing a sale (a customer recharge), with its commission clawed back.

A sale is reversed when the money behind it comes back: a customer's card payment refunded or
charged back, a PayPal payment the customer reversed. The recharge's credit leaves the
customer's balance and returns to the seller's sales credit, and the commission earned on it
leaves the seller's commission credit. When the commission credit no longer covers it (it was
paid out or moved to sales credit meanwhile), the rest is booked on the reseller's
`commission owed` account: shown as owed, and settled from the next commission the reseller
earns (customers.services._recharge), never silently lost.

One posting of kind REVERSAL that `reverses` the recharge, so a sale is reversed at most once;
its idempotency key makes a replay return the first reversal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import DomainError
from core.money import Money, to_ledger
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import AlreadyReversed, ledger_post, reseller_account

Kind = LedgerAccount.Kind


class SaleReversalRefused(DomainError):
    """The sale cannot be reversed; `str()` says why."""

    code = "sale-reversal-refused"
    message = _("This sale cannot be reversed.")


BALANCE_SPENT = _(
    "The customer's balance no longer covers the sale: %(available)s available, %(amount)s needed."
)


@dataclass(frozen=True)
class SaleReversal:
    transaction: LedgerTransaction
    amount: Decimal
    commission: Decimal  # earned on the sale
    commission_clawed: Decimal  # taken from commission credit
    commission_owed: Decimal  # booked as owed: the commission credit did not cover it
    replayed: bool


def _legs_of(original: LedgerTransaction):
    """The recharge's customer balance, sales credit, commission and commission expense
    entries (the last two absent on a sale without commission)."""
    legs = {}
    for entry in original.entries.select_related("account").order_by("account_id"):
        account = entry.account
        if account.owner_type == LedgerAccount.OwnerType.CUSTOMER:
            legs["balance"] = entry
        elif account.kind == Kind.SALES_CREDIT:
            legs["sales"] = entry
        elif account.kind == Kind.COMMISSION:
            legs["commission"] = entry
        elif account.kind == Kind.COMMISSION_EXPENSE:
            legs["expense"] = entry
    if "balance" not in legs or "sales" not in legs:
        raise SaleReversalRefused(_("Only a recharge of a customer can be reversed as a sale."))
    return legs


def sale_reverse_locked(
    *, transaction_id: int, actor, reason: str, idempotency_key: str
) -> SaleReversal:
    """Reverse the recharge `transaction_id` inside the caller's transaction (which must be
    atomic): the customer's balance gives the amount back to the seller's sales credit, and
    the commission goes back to commission expense, from commission credit as far as it
    reaches and from `commission owed` for the rest.

    Raises SaleReversalRefused when the customer's balance no longer covers the amount (the
    caller flags it), or when the transaction is not a recharge."""
    original = LedgerTransaction.objects.get(pk=transaction_id)
    if original.kind != LedgerTransaction.Kind.RECHARGE:
        raise SaleReversalRefused(_("Only a recharge of a customer can be reversed as a sale."))
    key = f"sale-reverse:{idempotency_key}"
    existing = LedgerTransaction.objects.filter(reverses=original).first()
    if existing is not None:
        if existing.idempotency_key != key:
            raise AlreadyReversed(id=original.pk)
        return _replayed(existing)
    legs = _legs_of(original)
    reseller = original.reseller
    amount = legs["balance"].amount
    commission = legs["commission"].amount if "commission" in legs else Decimal(0)
    sales_account = legs["sales"].account
    owed = None
    if commission:
        owed = reseller_account(
            reseller=reseller, kind=Kind.COMMISSION_OWED, currency=original.currency
        )
    # Lock the reseller's and the customer's accounts in id order, and read them as locked.
    ids = [legs["balance"].account_id, sales_account.pk]
    if commission:
        ids += [legs["commission"].account_id, owed.pk]
    locked = {
        account.pk: account
        for account in LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    balance = locked[legs["balance"].account_id]
    floor = balance.lower_limit if balance.lower_limit is not None else Decimal("-Infinity")
    if balance.balance - amount < floor:
        raise SaleReversalRefused(
            BALANCE_SPENT,
            available=Money(max(balance.balance - floor, Decimal(0)), original.currency),
            amount=Money(amount, original.currency),
        )
    reversal_legs = [(balance, -amount), (locked[sales_account.pk], amount)]
    clawed = owed_amount = Decimal(0)
    if commission:
        commission_account = locked[legs["commission"].account_id]
        clawed = min(commission, max(commission_account.balance, Decimal(0)))
        owed_amount = commission - clawed
        if clawed:
            reversal_legs.append((commission_account, -clawed))
        if owed_amount:
            reversal_legs.append((locked[owed.pk], -owed_amount))
        reversal_legs.append((legs["expense"].account, commission))
    txn = ledger_post(
        kind=LedgerTransaction.Kind.REVERSAL,
        currency=original.currency,
        legs=reversal_legs,
        idempotency_key=key,
        scope=original.idempotency_scope,
        memo=reason[:300],
        actor=actor,
        reseller=reseller,
        reverses=original,
        metadata={
            "reverses": original.pk,
            "reason": reason[:300],
            "sale_reversal": True,
            "customer_id": original.metadata.get("customer_id"),
            "phone": original.metadata.get("phone"),
            "amount": str(to_ledger(amount)),
            "commission": str(to_ledger(commission)),
            "commission_clawed": str(to_ledger(clawed)),
            "commission_owed": str(to_ledger(owed_amount)),
        },
    )
    if txn.replayed:
        return _replayed(txn)
    audit_record(
        actor=actor,
        action="customer.sale_reversed",
        reseller=reseller,
        obj=txn,
        data={
            "reverses": original.pk,
            "amount": str(amount),
            "currency": original.currency,
            "commission_clawed": str(clawed),
            "commission_owed": str(owed_amount),
            "reason": reason[:300],
        },
    )
    return SaleReversal(
        transaction=txn,
        amount=amount,
        commission=commission,
        commission_clawed=clawed,
        commission_owed=owed_amount,
        replayed=False,
    )


def _replayed(txn: LedgerTransaction) -> SaleReversal:
    meta = txn.metadata
    return SaleReversal(
        transaction=txn,
        amount=to_ledger(meta.get("amount", "0")),
        commission=to_ledger(meta.get("commission", "0")),
        commission_clawed=to_ledger(meta.get("commission_clawed", "0")),
        commission_owed=to_ledger(meta.get("commission_owed", "0")),
        replayed=True,
    )


@transaction.atomic(durable=True)
def sale_reverse(*, transaction_id: int, actor, reason: str, idempotency_key: str) -> SaleReversal:
    """`sale_reverse_locked` in its own transaction."""
    return sale_reverse_locked(
        transaction_id=transaction_id,
        actor=actor,
        reason=reason,
        idempotency_key=idempotency_key,
    )
