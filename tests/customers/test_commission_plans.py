"""The recharge earns the rate of the commission plan in force on the sale's day, its tier by
the month's sales before the sale, and records which plan (and tier) applied."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Exists, Q, Subquery

from customers.selectors import commission_applied, recharge_preview
from customers.services import customer_recharge
from customers.sql import lock_accounts_statement
from ledger.models import LedgerAccount
from ledger.services import customer_account, reseller_account
from ledger.tables import commission_plan_text
from ledger.verify import ledger_verify
from resellers.commission import commission_today, operator_zone
from resellers.models import CommissionPlan, CommissionPlanTier
from tests.factories import CustomerFactory, MembershipFactory, ResellerFactory
from tests.world import fund

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
Owner = LedgerAccount.OwnerType


def _plan(reseller, day, rate, tiers=()):
    """A plan written as the data migration does (any day, in the past too)."""
    plan = CommissionPlan.objects.create(
        reseller=reseller, effective_from=day, rate=rate, source=CommissionPlan.Source.STAFF
    )
    for threshold, tier_rate in tiers:
        CommissionPlanTier.objects.create(plan=plan, monthly_sales_from=threshold, rate=tier_rate)
    return plan


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=operator_zone())


@pytest.fixture
def seller():
    reseller = ResellerFactory(commission_rate=Decimal("10.00"))
    fund(reseller, net="100000.00")
    user = MembershipFactory(reseller=reseller).user
    customer = CustomerFactory(reseller=reseller, phone="+491791234567")
    return reseller, user, customer


def _sell(seller, amount="10", at=None, key=None):
    reseller, user, customer = seller
    _sell.n = getattr(_sell, "n", 0) + 1
    return customer_recharge(
        reseller=reseller,
        actor=user,
        phone=customer.phone,
        amount=amount,
        idempotency_key=key or f"plan-sale-{_sell.n}",
        at=at,
    )


def test_the_plan_in_force_on_the_sales_day_sets_the_rate(seller):
    reseller = seller[0]
    # Dates before today: today's month may be only a day old, so everything is dated in
    # an earlier month where the days are free to choose.
    first = (commission_today().replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    old = _plan(reseller, first, "5")
    new = _plan(reseller, first + dt.timedelta(days=10), "8")
    _plan(reseller, commission_today() + dt.timedelta(days=1), "50")  # tomorrow's: not yet

    before = _sell(seller, at=_at(first + dt.timedelta(days=9), hour=23))
    after = _sell(seller, at=_at(first + dt.timedelta(days=10), hour=0))
    today = _sell(seller)

    assert before.commission == Decimal("0.50") and after.commission == Decimal("0.80")
    assert today.commission == Decimal("0.80")  # tomorrow's 50 % does not apply today
    assert before.transaction.metadata["plan_id"] == old.pk
    assert after.transaction.metadata["plan_id"] == new.pk
    assert after.transaction.metadata["plan_from"] == new.effective_from.isoformat()
    assert today.transaction.metadata["commission_rate"] == "8.00"
    assert "tier_from" not in today.transaction.metadata
    report = ledger_verify()
    assert not any(report.violations.values())


def test_a_sale_before_the_first_plan_keeps_the_flat_rate(seller):
    reseller = seller[0]
    _plan(reseller, commission_today() - dt.timedelta(days=1), "3")
    result = _sell(seller, at=_at(commission_today() - dt.timedelta(days=2)))
    assert result.commission == Decimal("1.00")  # 10 % flat
    assert result.transaction.metadata["commission_rate"] == "10.00"
    assert "plan_id" not in result.transaction.metadata


def test_tiers_follow_the_months_sales_before_the_sale(seller):
    reseller = seller[0]
    month = (commission_today().replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    plan = _plan(reseller, month - dt.timedelta(days=31), "5", tiers=[("30", "6"), ("50", "7")])
    day = _at(month + dt.timedelta(days=3))
    rates = []
    for n in range(6):  # 20 each: 0, 20, 40, 60, 80, 100 sold before each sale
        result = _sell(seller, amount="20", at=day + dt.timedelta(minutes=n))
        rates.append(result.transaction.metadata)
    assert [m["commission_rate"] for m in rates] == ["5.00", "5.00", "6.00", "7.00", "7.00", "7.00"]
    assert [m.get("tier_from") for m in rates] == [None, None, "30.00", "50.00", "50.00", "50.00"]
    assert all(m["plan_id"] == plan.pk for m in rates)
    # A new month starts at the base rate again.
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    result = _sell(seller, amount="20", at=_at(next_month, hour=0))
    assert result.transaction.metadata["commission_rate"] == "5.00"
    assert result.commission == Decimal("1.00")
    report = ledger_verify()
    assert not any(report.violations.values())


def test_the_preview_shows_what_the_recharge_posts(seller):
    reseller, _user, customer = seller
    _plan(reseller, commission_today(), "4", tiers=[("15", "9")])
    preview = recharge_preview(reseller=reseller, phone=customer.phone, amount=Decimal("10"))
    assert preview["commission"] == Decimal("0.40")
    first = _sell(seller)
    assert first.commission == preview["commission"]
    preview = recharge_preview(reseller=reseller, phone=customer.phone, amount=Decimal("10"))
    second = _sell(seller)
    assert preview["commission"] == second.commission == Decimal("0.40")  # 10 sold < 15
    preview = recharge_preview(reseller=reseller, phone=customer.phone, amount=Decimal("10"))
    third = _sell(seller)
    assert preview["commission"] == third.commission == Decimal("0.90")  # 20 sold ≥ 15
    applied = commission_applied(reseller=reseller, amount=Decimal("10"))
    assert applied.metadata() == {
        "commission_rate": "9.00",
        "plan_id": third.transaction.metadata["plan_id"],
        "plan_from": commission_today().isoformat(),
        "tier_from": "15.00",
    }


def test_the_cashbook_text_reads_the_metadata(settings):
    meta = {"commission_rate": "5.00", "plan_id": 3, "plan_from": "2026-12-01"}
    assert commission_plan_text(meta, "EUR") == "5 % · plan from 1 Dec 2026"
    meta["tier_from"] = "1000.00"
    assert commission_plan_text(meta, "EUR") == (
        "5 % · plan from 1 Dec 2026 · from €1,000.00 of monthly sales"
    )
    assert commission_plan_text({"commission_rate": "7.50"}, "EUR") == "7.50 %"
    assert commission_plan_text({}, "EUR") == ""


@pytest.mark.parametrize("with_customer", [True, False])
@pytest.mark.parametrize("days_ago", [-1, 0, 5, 40])
def test_lock_accounts_reads_the_plan_the_orm_finds(with_customer, days_ago):
    seller, other = ResellerFactory(), ResellerFactory()
    customer = CustomerFactory(reseller=seller)
    for kind in (Kind.SALES_CREDIT, Kind.COMMISSION):
        reseller_account(reseller=seller, kind=kind)
        reseller_account(reseller=other, kind=kind)
    customer_account(customer=customer)
    today = commission_today()
    _plan(seller, today - dt.timedelta(days=30), "4", tiers=[("100", "5")])
    _plan(seller, today, "6")
    _plan(seller, today + dt.timedelta(days=3), "7", tiers=[("10", "8")])
    _plan(other, today - dt.timedelta(days=100), "99")
    day = today - dt.timedelta(days=days_ago)
    sql, params = lock_accounts_statement(
        reseller_id=seller.pk,
        customer_id=customer.pk if with_customer else None,
        currency="EUR",
        amount=Decimal("10"),
        day=day,
        lock_of=connection.features.has_select_for_update_of,
    )

    def plan_of(a):
        value = a.plan_rate
        rate = None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
        day = a.plan_from
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        return (a.pk, a.plan_id, day, rate, bool(a.plan_tiered))

    raw = [plan_of(a) for a in LedgerAccount.objects.raw(sql, params)]
    in_force = CommissionPlan.objects.in_force(reseller_id=seller.pk, on=day)
    wanted = Q(
        owner_type=Owner.RESELLER, reseller=seller, kind__in=[Kind.SALES_CREDIT, Kind.COMMISSION]
    )
    if with_customer:
        wanted |= Q(owner_type=Owner.CUSTOMER, customer=customer, kind=Kind.BALANCE)
    orm = (
        LedgerAccount.objects.filter(wanted, currency="EUR")
        .annotate(
            plan_id=Subquery(in_force.values("pk")[:1]),
            plan_from=Subquery(in_force.values("effective_from")[:1]),
            plan_rate=Subquery(in_force.values("rate")[:1]),
            plan_tiered=Exists(
                CommissionPlanTier.objects.filter(plan_id=Subquery(in_force.values("pk")[:1]))
            ),
        )
        .order_by("pk")
    )
    assert raw == [plan_of(a) for a in orm]
    assert len(raw) == (3 if with_customer else 2)
    expected = {-1: ("6", False), 0: ("6", False), 5: ("4", True), 40: (None, False)}[days_ago]
    rate = raw[0][3]
    assert (None if rate is None else str(rate.normalize()), raw[0][4]) == expected


def test_reseller_lists_show_the_rate_of_the_plan_in_force(world):
    """Staff's reseller list and the parent's sub-reseller pages show today's plan, not the
    rate the reseller was created with; a plan from tomorrow changes nothing yet."""
    child = world.a.child
    today = commission_today()
    _plan(child, today - dt.timedelta(days=3), "6.25")
    _plan(child, today + dt.timedelta(days=1), "7.75")
    staff = world.client_for("staff").get("/staff/resellers/").content.decode()
    admin = world.client_for("admin")
    subs = admin.get("/r/sub-resellers/").content.decode()
    accounts = admin.get("/r/accounts/").content.decode()
    for page in (staff, subs, accounts):
        assert "6.25 %" in page and "7.75 %" not in page
