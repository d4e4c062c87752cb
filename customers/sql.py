"""The customers app's written-out SQL: the statements every recharge runs, where compiling the
equivalent querysets cost more CPU than running them.

Table and column names come from the models' `_meta`, every value is a parameter, and the
commission rules (the amount tier: `CommissionTier.objects.applicable`; the plan in force:
`CommissionPlan.objects.in_force`) are compiled from their querysets the first time they are
needed, so each rule is written once. tests/customers/test_sql.py checks each
statement against the ORM.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from customers.models import CommissionTier, Customer
from ledger.models import LedgerAccount
from resellers.models import CommissionPlan, CommissionPlanTier


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


# The plan rule's stand-ins: the reseller and the day of the sale.
_PLAN_RESELLER = -6_666_666_666
_PLAN_DAY = dt.date(1901, 2, 3)


@functools.cache
def _plan_in_force() -> tuple[str, tuple[str, ...]]:
    """The id of the reseller's plan in force on the sale's day as SQL (a scalar subquery),
    compiled from its queryset, and its parameters' names: "plan_reseller", "plan_day"."""
    plans = CommissionPlan.objects.in_force(reseller_id=_PLAN_RESELLER, on=_PLAN_DAY)
    sql, params = plans.values("pk")[:1].query.sql_with_params()
    names = []
    for value in params:
        if value == _PLAN_RESELLER:
            names.append("plan_reseller")
        elif value == _PLAN_DAY or str(value) == _PLAN_DAY.isoformat():
            names.append("plan_day")
        else:
            raise ValueError(f"the commission-plan rule has an unexpected parameter {value!r}")
    return sql, tuple(names)


@functools.cache
def _lock_statement(with_customer: bool, lock_of: bool) -> tuple[str, tuple[str, ...]]:
    account = functools.partial(_column, LedgerAccount)
    tier_sql, names = _tier_rate()
    plan_sql, plan_names = _plan_in_force()
    plan = functools.partial(_column, CommissionPlan)
    tier_plan = _column(CommissionPlanTier, "plan")
    names += plan_names
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
    # The plan in force joins every row (the same one): its id, first day, base rate, and
    # whether it has tiers (the recharge then reads the month's sales, after the lock).
    sql = (
        f"SELECT {_columns(LedgerAccount, 'a')}, ({tier_sql}) AS tier_rate,"
        f" p.{plan('id')} AS plan_id, p.{plan('effective_from')} AS plan_from,"
        f" p.{plan('rate')} AS plan_rate,"
        f" EXISTS (SELECT 1 FROM {_name(CommissionPlanTier._meta.db_table)} t"
        f" WHERE t.{tier_plan} = p.{plan('id')}) AS plan_tiered"
        f" FROM {_name(LedgerAccount._meta.db_table)} a"
        f" LEFT JOIN {_name(CommissionPlan._meta.db_table)} p ON p.{plan('id')} = ({plan_sql})"
        f" WHERE {where}"
        f" ORDER BY a.{_name(LedgerAccount._meta.pk.column)}"
    )
    if lock_of:
        sql += " FOR UPDATE OF a"
    return sql, names


def lock_accounts_statement(
    *,
    reseller_id: int,
    customer_id: int | None,
    currency: str,
    amount: Decimal,
    day: dt.date,
    lock_of: bool,
) -> tuple[str, list]:
    """The statement that locks, in id order, the reseller's sales credit and commission
    accounts in `currency`, its commission-owed account if it has one (and the customer's
    balance, with `customer_id`), each row with
    `tier_rate`: the commission tier rate for a recharge of `amount` (None: the flat rate),
    and the reseller's commission plan in force on `day` (`plan_id`, `plan_from`,
    `plan_rate`, `plan_tiered`; NULL without one). And its parameters. `lock_of`: the
    database takes FOR UPDATE OF (SQLite locks nothing)."""
    sql, names = _lock_statement(customer_id is not None, lock_of)
    values = {
        "tier_reseller": reseller_id,
        "tier_amount": amount,
        "plan_reseller": reseller_id,
        "plan_day": day,
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
