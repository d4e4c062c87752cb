"""customers.sql: each written-out statement returns what its ORM equivalent returns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q

from customers.models import CommissionTier, Customer
from customers.selectors import commission_tier_rate
from customers.sql import CUSTOMER_BY_PHONE, lock_accounts_statement
from ledger.models import LedgerAccount
from ledger.services import customer_account, reseller_account
from tests.factories import CustomerFactory, ResellerFactory

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
Owner = LedgerAccount.OwnerType


def _row(obj) -> list:
    return [getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields]


def _rate(value) -> Decimal | None:  # SQLite hands a computed column back as a float
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def test_customer_by_phone_is_the_orms_filter_on_phone():
    CustomerFactory(phone="+491797654321")
    CustomerFactory(phone="+491791234567", name="Zoë Ä", email="z@example.test", language="pl")
    for phone in ("+491791234567", "+491790000000"):
        raw = list(Customer.objects.raw(CUSTOMER_BY_PHONE, [phone]))
        orm = list(Customer.objects.filter(phone=phone))
        assert [_row(c) for c in raw] == [_row(c) for c in orm]
    assert len(raw) == 0 and len(orm) == 0
    assert [c.phone for c in Customer.objects.raw(CUSTOMER_BY_PHONE, ["+491791234567"])] == [
        "+491791234567"
    ]


@pytest.fixture
def accounts():
    """A reseller with its accounts and a customer's balance, among look-alikes the statement
    must leave out: another reseller's, another currency, another kind."""
    seller, other = ResellerFactory(currency="EUR"), ResellerFactory(currency="EUR")
    customer = CustomerFactory(reseller=seller)
    for kind in (Kind.SALES_CREDIT, Kind.COMMISSION, Kind.COMMISSION_OWED, Kind.RECEIPTS):
        reseller_account(reseller=seller, kind=kind)
        reseller_account(reseller=other, kind=kind)
    reseller_account(reseller=seller, kind=Kind.SALES_CREDIT, currency="USD")
    customer_account(customer=customer)
    customer_account(customer=customer, currency="USD")
    customer_account(customer=CustomerFactory(reseller=seller))
    return seller, other, customer


TIERS = [  # (whose, min_amount, rate)
    (None, "0", "5"),
    (None, "20", "7"),
    ("seller", "10", "8"),
    ("seller", "50", "9.5"),
    ("other", "0", "99"),
]


@pytest.mark.parametrize("tiers", [TIERS, [t for t in TIERS if t[0] != "seller"], []])
@pytest.mark.parametrize("with_customer", [True, False])
@pytest.mark.parametrize("amount", ["5", "10", "19.99", "20", "50", "200"])
def test_lock_accounts_is_the_orms_filter_with_the_tier_rate(
    accounts, tiers, with_customer, amount
):
    seller, other, customer = accounts
    for whose, min_amount, rate in tiers:
        owner = {"seller": seller, "other": other, None: None}[whose]
        CommissionTier.objects.create(reseller=owner, min_amount=min_amount, rate=rate)
    amount = Decimal(amount)
    sql, params = lock_accounts_statement(
        reseller_id=seller.pk,
        customer_id=customer.pk if with_customer else None,
        currency="EUR",
        amount=amount,
        day=dt.date.today(),
        lock_of=connection.features.has_select_for_update_of,
    )
    raw = [(_row(a), _rate(a.tier_rate)) for a in LedgerAccount.objects.raw(sql, params)]

    wanted = Q(
        owner_type=Owner.RESELLER,
        reseller=seller,
        kind__in=[Kind.SALES_CREDIT, Kind.COMMISSION, Kind.COMMISSION_OWED],
        currency="EUR",
    )
    if with_customer:
        wanted |= Q(owner_type=Owner.CUSTOMER, customer=customer, kind=Kind.BALANCE, currency="EUR")
    orm = (
        LedgerAccount.objects.filter(wanted)
        .annotate(tier_rate=commission_tier_rate(reseller_id=seller.pk, amount=amount))
        .order_by("pk")
    )
    assert raw == [(_row(a), _rate(a.tier_rate)) for a in orm]
    assert len(raw) == (4 if with_customer else 3)
