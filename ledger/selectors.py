"""Reads on the ledger. Tenant reads take the reseller first; staff reads say so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction


def account_balance(*, account: LedgerAccount) -> Decimal:
    return LedgerAccount.objects.values_list("balance", flat=True).get(pk=account.pk)


def operator_balance(*, kind: str, currency: str) -> Decimal:
    """An operator account's balance: the sum over its shards."""
    total = LedgerAccount.objects.filter(
        owner_type=LedgerAccount.OwnerType.OPERATOR, kind=kind, currency=currency
    ).aggregate(total=Sum("balance"))["total"]
    return total or Decimal(0)


def account_statement(
    *,
    account: LedgerAccount,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[LedgerEntry]:
    """Entries of one account in id order with their running balance (`balance_after`),
    keyset-paginated: pass the last entry's id as `after_id` for the next page."""
    entries = LedgerEntry.objects.filter(account=account).select_related("transaction")
    if start is not None:
        entries = entries.filter(transaction__created_at__gte=start)
    if end is not None:
        entries = entries.filter(transaction__created_at__lt=end)
    if after_id is not None:
        entries = entries.filter(id__gt=after_id)
    return list(entries.order_by("id")[:limit])


def reseller_totals_by_kind(
    *, reseller, start: dt.datetime, end: dt.datetime
) -> dict[tuple[str, str], Decimal]:
    """Sum of the reseller's own entries per (transaction kind, account kind) in [start, end)."""
    rows = (
        LedgerEntry.objects.filter(
            account__owner_type=LedgerAccount.OwnerType.RESELLER,
            account__reseller=reseller,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .values("transaction__kind", "account__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(r["transaction__kind"], r["account__kind"]): r["total"] for r in rows}


def staff_transaction_list() -> QuerySet[LedgerTransaction]:
    """Every transaction, newest first, for operator staff, with its volume (the sum of its
    credits) and the reversal that undid it, if any."""
    credits = (
        LedgerEntry.objects.filter(transaction=OuterRef("pk"), amount__gt=0)
        .order_by()
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        LedgerTransaction.objects.select_related("reseller", "actor")
        .annotate(
            volume=Coalesce(
                Subquery(credits, output_field=DecimalField(max_digits=18, decimal_places=4)),
                Decimal(0),
            ),
            reversed_by_pk=F("reversed_by__id"),
        )
        .order_by("-id")
    )


def staff_transaction_entries(*, transaction: LedgerTransaction) -> QuerySet[LedgerEntry]:
    return transaction.entries.select_related(
        "account", "account__reseller", "account__customer"
    ).order_by("id")


def staff_account_get(*, pk: int) -> LedgerAccount:
    return LedgerAccount.objects.select_related("reseller", "customer").get(pk=pk)


_BALANCE = DecimalField(max_digits=18, decimal_places=4)


def reseller_balance_expression(*, kind: str, reseller_ref: str = "pk") -> Coalesce:
    """A reseller queryset annotation: the balance of its account of `kind` in its own
    currency (zero before the account exists). One index look-up per row."""
    balance = LedgerAccount.objects.filter(
        owner_type=LedgerAccount.OwnerType.RESELLER,
        reseller=OuterRef(reseller_ref),
        kind=kind,
        currency=OuterRef("currency"),
    ).values("balance")[:1]
    return Coalesce(Subquery(balance, output_field=_BALANCE), Decimal(0))


def customer_balance_expression() -> Coalesce:
    """A customer queryset annotation: the customer's balance (zero before any money)."""
    balance = LedgerAccount.objects.filter(
        owner_type=LedgerAccount.OwnerType.CUSTOMER,
        customer=OuterRef("pk"),
        kind=LedgerAccount.Kind.BALANCE,
    ).values("balance")[:1]
    return Coalesce(Subquery(balance, output_field=_BALANCE), Decimal(0))


def reseller_balance(*, reseller, kind: str) -> Decimal:
    """The balance of a reseller's account of `kind` in its currency (zero if none yet)."""
    balance = (
        LedgerAccount.objects.filter(
            owner_type=LedgerAccount.OwnerType.RESELLER,
            reseller=reseller,
            kind=kind,
            currency=str(reseller.currency),
        )
        .values_list("balance", flat=True)
        .first()
    )
    return balance if balance is not None else Decimal(0)


def reseller_recent_entries(
    *, reseller, kind: str, transaction_kind: str | None = None, limit: int = 50
) -> list[LedgerEntry]:
    """The newest entries of a reseller's account of `kind`, newest first, with their
    transactions (memo, metadata) — the history shown on the reseller's pages."""
    entries = LedgerEntry.objects.filter(
        account__owner_type=LedgerAccount.OwnerType.RESELLER,
        account__reseller=reseller,
        account__kind=kind,
    ).select_related("transaction", "transaction__actor")
    if transaction_kind is not None:
        entries = entries.filter(transaction__kind=transaction_kind)
    return list(entries.order_by("-id")[:limit])
