"""The Sales Panel's reads: the cashbook rows and totals, balances and sales figures."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger import selectors
from ledger.actions import commission_transfer
from ledger.models import LedgerTransaction
from ledger.services import ledger_reverse
from tests.factories import CustomerFactory
from tests.ledger.cashbook_data import payout, recharge, transfer

pytestmark = pytest.mark.django_db
Kind = LedgerTransaction.Kind


def _rows(reseller, **scope):
    return list(selectors.cashbook_rows(reseller=reseller, **scope))


def test_one_row_per_movement_with_changes_and_running_balances(world):
    a = world.a
    sale = recharge(customer=a.customer, amount="20", actor=a.user)
    moved = commission_transfer(
        reseller=a.reseller, actor=a.admin, amount="1.50", idempotency_key="k1"
    )
    paid = payout(reseller=a.reseller, amount="0.25", actor=a.admin)
    given = transfer(parent=a.reseller, child=a.child, amount="30", actor=a.admin)

    rows = _rows(a.reseller)
    assert [r.pk for r in rows] == [a.topup.pk, sale.pk, moved.pk, paid.pk, given.pk]
    by_id = {r.pk: r for r in rows}
    assert (by_id[a.topup.pk].sales_amount, by_id[a.topup.pk].sales_after) == (100, 100)
    assert by_id[a.topup.pk].commission_amount is None
    assert by_id[a.topup.pk].commission_after == 0
    row = by_id[sale.pk]
    assert (row.sales_amount, row.sales_after) == (Decimal("-20"), Decimal("80"))
    assert (row.commission_amount, row.commission_after) == (Decimal("2"), Decimal("2"))
    assert (row.customer_phone, row.customer_reseller_id) == (a.customer.phone, a.reseller.pk)
    row = by_id[moved.pk]
    assert (row.sales_amount, row.sales_after) == (Decimal("1.5"), Decimal("81.5"))
    assert (row.commission_amount, row.commission_after) == (Decimal("-1.5"), Decimal("0.5"))
    row = by_id[paid.pk]  # touches only commission: sales balance carried forward
    assert (row.sales_amount, row.sales_after) == (None, Decimal("81.5"))
    assert row.commission_after == Decimal("0.25")
    assert by_id[given.pk].sales_after == Decimal("51.5")
    assert by_id[given.pk].customer_phone is None


def test_rows_of_one_tenant_only_and_foreign_customers_marked(world):
    a, b = world.a, world.b
    own = recharge(customer=a.customer, amount="10")
    foreign = recharge(customer=a.customer, seller=b.reseller, amount="5")  # B sells to A's
    assert own.pk not in {r.pk for r in _rows(b.reseller)}
    b_rows = {r.pk: r for r in _rows(b.reseller)}
    assert set(b_rows) == {b.topup.pk, foreign.pk}
    assert b_rows[foreign.pk].customer_reseller_id == a.reseller.pk
    assert foreign.pk not in {r.pk for r in _rows(a.reseller)}


def test_no_accounts_means_no_rows_and_zero_totals():
    reseller = CustomerFactory().reseller
    assert _rows(reseller) == []
    totals = selectors.cashbook_totals(reseller=reseller)
    assert (totals["sold"], totals["sales"], totals["commission"]) == (0, 0, 0)


def test_filters_by_range_type_and_actor(world):
    a = world.a
    other = CustomerFactory(reseller=a.reseller)
    now = timezone.now()
    old = recharge(customer=a.customer, amount="10", actor=a.user, at=now - dt.timedelta(days=40))
    mine = recharge(customer=a.customer, amount="20", actor=a.user)
    theirs = recharge(customer=other, amount="5", actor=a.admin)

    recent = _rows(a.reseller, start=now - dt.timedelta(days=1))
    assert old.pk not in {r.pk for r in recent} and mine.pk in {r.pk for r in recent}
    assert [r.pk for r in _rows(a.reseller, end=now - dt.timedelta(days=39))] == [old.pk]
    assert {r.pk for r in _rows(a.reseller, kinds=(Kind.RECHARGE,))} == {
        old.pk,
        mine.pk,
        theirs.pk,
    }
    assert {r.pk for r in _rows(a.reseller, kinds=(Kind.TOPUP,))} == {a.topup.pk}
    assert {r.pk for r in _rows(a.reseller, actor=a.user)} == {old.pk, mine.pk}
    totals = selectors.cashbook_totals(reseller=a.reseller, actor=a.user)
    assert (totals["sold"], totals["sales"], totals["commission"]) == (30, 2, 3)
    totals = selectors.cashbook_totals(reseller=a.reseller, start=now - dt.timedelta(days=1))
    assert (totals["sold"], totals["sales"], totals["commission"]) == (25, 2, Decimal("2.5"))


def test_totals_net_of_reversed_sales_and_not_counting_other_movements(world):
    a = world.a
    keep = recharge(customer=a.customer, amount="20")
    undo = recharge(customer=a.customer, amount="10")
    ledger_reverse(transaction_id=undo.pk, actor=world.staff, reason="sold by mistake")
    commission_transfer(reseller=a.reseller, actor=a.admin, amount="1", idempotency_key="x")
    totals = selectors.cashbook_totals(reseller=a.reseller)
    assert totals["sold"] == Decimal("20")  # 20 + 10 sold, 10 reversed; top-up not a sale
    assert totals["commission"] == Decimal("2")  # 2 + 1 earned, 1 reversed; transfer excluded
    assert totals["sales"] == 2
    assert keep.pk in {r.pk for r in _rows(a.reseller, kinds=(Kind.REVERSAL, Kind.RECHARGE))}


def test_sales_summary_today_month_and_daily_series(world):
    a = world.a
    now = timezone.now()
    local = timezone.localtime(now)
    yesterday = now - dt.timedelta(days=1)
    recharge(customer=a.customer, amount="7", actor=a.admin, at=yesterday)
    recharge(customer=a.customer, amount="9", actor=a.admin, at=now - dt.timedelta(days=45))
    recharge(customer=a.customer, amount="10", actor=a.user)
    recharge(customer=a.customer, amount="5", actor=a.admin)
    accounts = selectors.reseller_cash_accounts(reseller=a.reseller)
    summary = selectors.reseller_sales_summary(reseller=a.reseller, accounts=accounts, now=now)
    assert (summary["today_sold"], summary["today_count"]) == (15, 2)
    in_month = timezone.localtime(yesterday).month == local.month
    assert summary["month_sold"] == (22 if in_month else 15)
    assert summary["month_count"] == (3 if in_month else 2)
    mine = selectors.reseller_sales_summary(
        reseller=a.reseller, accounts=accounts, now=now, actor=a.user
    )
    assert (mine["today_sold"], mine["month_count"]) == (10, 1)

    days = selectors.reseller_daily_sales(reseller=a.reseller, accounts=accounts, now=now)
    assert len(days) == 30 and days[-1] == (local.date(), Decimal(15))
    assert days[-2] == (timezone.localtime(yesterday).date(), Decimal(7))
    assert sum(total for _, total in days) == 22  # the sale 45 days ago is outside


def test_cash_accounts_creates_nothing(world):
    from ledger.models import LedgerAccount

    before = LedgerAccount.objects.count()
    accounts = selectors.reseller_cash_accounts(reseller=world.a.reseller)
    assert accounts.commission is None and accounts.commission_balance == 0
    assert accounts.sales_balance == 100
    assert LedgerAccount.objects.count() == before
