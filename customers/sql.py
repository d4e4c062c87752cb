"""The customers app's written-out SQL: the statements every recharge runs, where compiling the
equivalent querysets cost more CPU than running them.

Table and column names come from the models' `_meta`, every value is a parameter, and the
commission-tier rule is compiled from its queryset (`CommissionTier.objects.applicable`) the
first time it is needed, so that rule is written once. tests/customers/test_sql.py checks each
statement against the ORM.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from customers.models import CommissionTier, Customer
from ledger.models import LedgerAccount


def _name(name: str) -> str:
    return f'"{name}"'


def _column(model, field: str) -> str:
    return _name(model._meta.get_field(field).column)


def _columns(model, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{_name(f.column)}" for f in model._meta.concrete_fields)


# The customer with a phone number (phone numbers are unique).
CUSTOMER_BY_PHONE = (
    f"SELECT {_columns(Customer)} FROM {_name(Customer._meta.db_table)} "
    f"WHERE {_column(Customer, 'phone')} = %s"
)


# --- The recharge's accounts, locked, each with the commission tier rate -------------------------

# Stand-ins the tier rule is compiled with, found again among the compiled query's parameters.
_TIER_RESELLER = -7_777_777_777
_TIER_AMOUNT = Decimal("-7777777.77")


@functools.cache
def _tier_rate() -> tuple[str, tuple[str, ...]]:
    """The commission-tier rule as SQL (a scalar subquery), compiled from its queryset, and
    which value each of its parameters is: "tier_reseller" or "tier_amount"."""
    tiers = CommissionTier.objects.applicable(reseller_id=_TIER_RESELLER, amount=_TIER_AMOUNT)
    sql, params = tiers.values("rate")[:1].query.sql_with_params()
    names = []
    for value in params:
        if value == _TIER_RESELLER:
            names.append("tier_reseller")
        elif Decimal(str(value)) == _TIER_AMOUNT:
            names.append("tier_amount")
        else:
            raise ValueError(f"the commission-tier rule has an unexpected parameter {value!r}")
    return sql, tuple(names)


@functools.cache
def _lock_statement(with_customer: bool, lock_of: bool) -> tuple[str, tuple[str, ...]]:
    account = functools.partial(_column, LedgerAccount)
    tier_sql, names = _tier_rate()
    where = (
        f"(a.{account('owner_type')} = %s AND a.{account('reseller')} = %s"
        f" AND a.{account('kind')} IN (%s, %s, %s) AND a.{account('currency')} = %s)"
    )
    names += (
        "reseller_owner",
        "reseller_id",
        "sales_kind",
        "commission_kind",
        "owed_kind",
        "currency",
    )
    if with_customer:
        where += (
            f" OR (a.{account('owner_type')} = %s AND a.{account('customer')} = %s"
            f" AND a.{account('kind')} = %s AND a.{account('currency')} = %s)"
        )
        names += ("customer_owner", "customer_id", "balance_kind", "currency")
    sql = (
        f"SELECT {_columns(LedgerAccount, 'a')}, ({tier_sql}) AS tier_rate"
        f" FROM {_name(LedgerAccount._meta.db_table)} a WHERE {where}"
        f" ORDER BY a.{_name(LedgerAccount._meta.pk.column)}"
    )
    if lock_of:
        sql += " FOR UPDATE OF a"
    return sql, names


def lock_accounts_statement(
    *, reseller_id: int, customer_id: int | None, currency: str, amount: Decimal, lock_of: bool
) -> tuple[str, list]:
    """The statement that locks, in id order, the reseller's sales credit and commission
    accounts in `currency`, its commission-owed account if it has one (and the customer's
    balance, with `customer_id`), each row with
    `tier_rate`: the commission tier rate for a recharge of `amount` (None: the flat rate). And
    its parameters. `lock_of`: the database takes FOR UPDATE OF (SQLite locks nothing)."""
    sql, names = _lock_statement(customer_id is not None, lock_of)
    values = {
        "tier_reseller": reseller_id,
        "tier_amount": amount,
        "reseller_owner": LedgerAccount.OwnerType.RESELLER,
        "reseller_id": reseller_id,
        "sales_kind": LedgerAccount.Kind.SALES_CREDIT,
        "commission_kind": LedgerAccount.Kind.COMMISSION,
        "owed_kind": LedgerAccount.Kind.COMMISSION_OWED,
        "currency": currency,
        "customer_owner": LedgerAccount.OwnerType.CUSTOMER,
        "customer_id": customer_id,
        "balance_kind": LedgerAccount.Kind.BALANCE,
    }
    return sql, [values[name] for name in names]
