"""Reads on the ledger. Tenant reads take the reseller first; staff reads say so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

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
    ).select_related("account", "transaction", "transaction__actor")
    if transaction_kind is not None:
        entries = entries.filter(transaction__kind=transaction_kind)
    return list(entries.order_by("-id")[:limit])


# --- The Sales Panel: balances, sales figures and the cashbook --------------------------------

SALE_KINDS = (LedgerTransaction.Kind.RECHARGE, LedgerTransaction.Kind.SALE)
COMMISSION_KINDS = (*SALE_KINDS, LedgerTransaction.Kind.COMMISSION)
_AMOUNT_FIELD = DecimalField(max_digits=18, decimal_places=4)


@dataclass(frozen=True)
class CashAccounts:
    """A reseller's sales-credit and commission accounts in its currency (None until used)."""

    currency: str
    sales: LedgerAccount | None
    commission: LedgerAccount | None
    # Commission clawed back after it was paid out, settled from the next commission.
    owed: LedgerAccount | None = None

    @property
    def sales_id(self) -> int:
        return self.sales.pk if self.sales else -1

    @property
    def commission_id(self) -> int:
        return self.commission.pk if self.commission else -1

    @property
    def ids(self) -> list[int]:
        return [a.pk for a in (self.sales, self.commission) if a is not None]

    @property
    def sales_balance(self) -> Decimal:
        return self.sales.balance if self.sales else Decimal(0)

    @property
    def commission_balance(self) -> Decimal:
        return self.commission.balance if self.commission else Decimal(0)

    @property
    def commission_owed(self) -> Decimal:
        """What the reseller owes of clawed-back commission (positive), else 0."""
        return max(-self.owed.balance, Decimal(0)) if self.owed else Decimal(0)


def reseller_cash_accounts(*, reseller) -> CashAccounts:
    """One query; creates nothing (a reseller that never sold has no commission account)."""
    currency = str(reseller.currency)
    accounts = {
        a.kind: a
        for a in LedgerAccount.objects.filter(
            owner_type=LedgerAccount.OwnerType.RESELLER,
            reseller=reseller,
            currency=currency,
            kind__in=(
                LedgerAccount.Kind.SALES_CREDIT,
                LedgerAccount.Kind.COMMISSION,
                LedgerAccount.Kind.COMMISSION_OWED,
            ),
        )
    }
    return CashAccounts(
        currency=currency,
        sales=accounts.get(LedgerAccount.Kind.SALES_CREDIT),
        commission=accounts.get(LedgerAccount.Kind.COMMISSION),
        owed=accounts.get(LedgerAccount.Kind.COMMISSION_OWED),
    )


def _of_kinds(kinds) -> Q:
    """Transactions of `kinds`, and the reversals of such transactions."""
    return Q(transaction__kind__in=kinds) | Q(
        transaction__kind=LedgerTransaction.Kind.REVERSAL, transaction__reverses__kind__in=kinds
    )


def _entry_on(account_id: int, field: str) -> Subquery:
    return Subquery(
        LedgerEntry.objects.filter(transaction=OuterRef("pk"), account_id=account_id).values(field)[
            :1
        ],
        output_field=_AMOUNT_FIELD,
    )


def _balance_before(account_id: int) -> Subquery:
    """The account's balance after its last entry of an earlier transaction."""
    return Subquery(
        LedgerEntry.objects.filter(account_id=account_id, transaction_id__lt=OuterRef("pk"))
        .order_by("-id")
        .values("balance_after")[:1],
        output_field=_AMOUNT_FIELD,
    )


def _customer_leg(field: str) -> Subquery:
    return Subquery(
        LedgerEntry.objects.filter(
            transaction=OuterRef("pk"), account__owner_type=LedgerAccount.OwnerType.CUSTOMER
        ).values(f"account__customer__{field}")[:1]
    )


def cashbook_rows(
    *,
    reseller,
    accounts: CashAccounts | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    kinds: tuple[str, ...] = (),
    actor=None,
    newest_first: bool = False,
) -> QuerySet[LedgerTransaction]:
    """One row per transaction that moved the reseller's sales credit or commission in
    [start, end): its change to each and the balances after it, and the customer it
    recharged (name, phone and owner, to be masked by whoever shows it). One query.

    `actor` limits the rows to what that user did (a User sees their own sales)."""
    accounts = accounts or reseller_cash_accounts(reseller=reseller)
    if not accounts.ids:
        return LedgerTransaction.objects.none()
    touched = LedgerEntry.objects.filter(account_id__in=accounts.ids).values("transaction_id")
    rows = LedgerTransaction.objects.filter(pk__in=touched)
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    if end is not None:
        rows = rows.filter(created_at__lt=end)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    if actor is not None:
        rows = rows.filter(actor=actor)
    sales, commission = accounts.sales_id, accounts.commission_id
    return (
        rows.select_related("actor")
        .annotate(
            sales_amount=_entry_on(sales, "amount"),
            sales_after=Coalesce(
                _entry_on(sales, "balance_after"), _balance_before(sales), Decimal(0)
            ),
            commission_amount=_entry_on(commission, "amount"),
            commission_after=Coalesce(
                _entry_on(commission, "balance_after"), _balance_before(commission), Decimal(0)
            ),
            customer_name=_customer_leg("name"),
            customer_phone=_customer_leg("phone"),
            customer_reseller_id=_customer_leg("reseller_id"),
        )
        .order_by("-id" if newest_first else "id")
    )


def cashbook_totals(
    *,
    reseller,
    accounts: CashAccounts | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    kinds: tuple[str, ...] = (),
    actor=None,
) -> dict[str, Decimal | int]:
    """Sold credit (net of reversed sales), number of sales and commission received (net of
    reversed commission) over the same rows as `cashbook_rows`. One query."""
    accounts = accounts or reseller_cash_accounts(reseller=reseller)
    entries = LedgerEntry.objects.filter(account_id__in=accounts.ids or [-1])
    if start is not None:
        entries = entries.filter(transaction__created_at__gte=start)
    if end is not None:
        entries = entries.filter(transaction__created_at__lt=end)
    if kinds:
        entries = entries.filter(transaction__kind__in=kinds)
    if actor is not None:
        entries = entries.filter(transaction__actor=actor)
    on_sales = Q(account_id=accounts.sales_id)
    totals = entries.aggregate(
        sold=Sum("amount", filter=on_sales & _of_kinds(SALE_KINDS)),
        sales=Count("id", filter=on_sales & Q(transaction__kind__in=SALE_KINDS)),
        commission=Sum(
            "amount", filter=Q(account_id=accounts.commission_id) & _of_kinds(COMMISSION_KINDS)
        ),
    )
    return {
        "sold": -(totals["sold"] or Decimal(0)) + Decimal(0),
        "sales": totals["sales"],
        "commission": (totals["commission"] or Decimal(0)) + Decimal(0),
        "currency": accounts.currency,
    }


def reseller_sales_summary(
    *, reseller, accounts: CashAccounts, now: dt.datetime, actor=None
) -> dict[str, Decimal | int]:
    """Today's and this month's sales (sold credit and count), in local time. One query."""
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    entries = LedgerEntry.objects.filter(
        account_id=accounts.sales_id,
        transaction__kind__in=SALE_KINDS,
        transaction__created_at__gte=month,
    )
    if actor is not None:
        entries = entries.filter(transaction__actor=actor)
    is_today = Q(transaction__created_at__gte=today)
    row = entries.aggregate(
        month_sold=Sum("amount"),
        month_count=Count("id"),
        today_sold=Sum("amount", filter=is_today),
        today_count=Count("id", filter=is_today),
    )
    return {
        "today_sold": -(row["today_sold"] or Decimal(0)) + Decimal(0),
        "today_count": row["today_count"],
        "month_sold": -(row["month_sold"] or Decimal(0)) + Decimal(0),
        "month_count": row["month_count"],
    }


def reseller_daily_sales(
    *, reseller, accounts: CashAccounts, now: dt.datetime, days: int = 30, actor=None
) -> list[tuple[dt.date, Decimal]]:
    """Sold credit per local day for the last `days` days, oldest first, zero-filled."""
    last = timezone.localdate(now)
    first = last - dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    entries = LedgerEntry.objects.filter(
        account_id=accounts.sales_id,
        transaction__kind__in=SALE_KINDS,
        transaction__created_at__gte=start,
    )
    if actor is not None:
        entries = entries.filter(transaction__actor=actor)
    per_day = {
        row["day"]: -row["total"]
        for row in entries.annotate(day=TruncDate("transaction__created_at"))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    return [
        (day, per_day.get(day, Decimal(0)) + Decimal(0))
        for day in (first + dt.timedelta(days=n) for n in range(days))
    ]
