"""Reads on commission plans (selectors): the plan in force on a day, the rate it gives a sale
(its tier by the reseller's sales so far in the month), and the plans a page lists.

Days are calendar days in settings.TIME_ZONE, whoever reads: a plan "from 1 December" starts
at midnight of the operator's time zone, and so does a month of sales.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum
from django.utils import timezone

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from resellers.models import CommissionPlan, CommissionPlanTier, Reseller


def operator_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def commission_today(now: dt.datetime | None = None) -> dt.date:
    """Today in settings.TIME_ZONE: the first day a new plan may start."""
    return timezone.localdate(now or timezone.now(), timezone=operator_zone())


def month_start(at: dt.datetime | None = None) -> dt.datetime:
    """Midnight of the first day of `at`'s month (now's by default), in settings.TIME_ZONE."""
    first = commission_today(at).replace(day=1)
    return dt.datetime.combine(first, dt.time.min, tzinfo=operator_zone())


@dataclass(frozen=True)
class AppliedRate:
    """The commission rate (%) a sale earns and where it came from: a plan (and its tier),
    or, for a reseller without plans, the amount tiers or the reseller's flat rate."""

    rate: Decimal
    plan_id: int | None = None
    plan_from: dt.date | None = None
    tier_from: Decimal | None = None

    def metadata(self) -> dict[str, str | int]:
        """What the sale's ledger transaction keeps of it (ledger pages read only this)."""
        data: dict[str, str | int] = {"commission_rate": str(self.rate)}
        if self.plan_id is not None:
            data["plan_id"] = self.plan_id
            data["plan_from"] = self.plan_from.isoformat()
        if self.tier_from is not None:
            data["tier_from"] = str(self.tier_from)
        return data


def tiered_expression() -> Exists:
    """Whether the plan of the row (an OuterRef to its pk) has tiers."""
    return Exists(CommissionPlanTier.objects.filter(plan_id=OuterRef("pk")))


def commission_plan_in_force(*, reseller: Reseller, on: dt.date) -> CommissionPlan | None:
    """The reseller's plan in force on the day `on`, with `tiered` (whether it has tiers)."""
    return (
        CommissionPlan.objects.in_force(reseller_id=reseller.pk, on=on)
        .annotate(tiered=tiered_expression())
        .first()
    )


def commission_month_sales(*, reseller: Reseller, at: dt.datetime | None = None) -> Decimal:
    """The reseller's recharges so far in `at`'s calendar month, before `at` (default: now,
    all of them so far): the sum its sales credit paid for them."""
    entries = LedgerEntry.objects.filter(
        account__owner_type=LedgerAccount.OwnerType.RESELLER,
        account__reseller=reseller,
        account__kind=LedgerAccount.Kind.SALES_CREDIT,
        transaction__reseller=reseller,
        transaction__kind=LedgerTransaction.Kind.RECHARGE,
        transaction__created_at__gte=month_start(at),
    )
    if at is not None:
        entries = entries.filter(transaction__created_at__lt=at)
    total = entries.aggregate(total=Sum("amount"))["total"]
    return -(total or Decimal(0)) + Decimal(0)


def plan_rate(
    *,
    reseller: Reseller,
    plan_id: int,
    plan_from: dt.date,
    rate: Decimal,
    tiered: bool,
    at: dt.datetime | None = None,
) -> AppliedRate:
    """The rate a sale at `at` earns under this plan: its tier with the highest threshold
    not above the reseller's sales so far this month (before the sale), else its base rate.
    Without tiers, no query. Under the recharge's lock on the sales credit, the month's sales
    are read after the lock, so a sale made while this one waited is counted."""
    tier_from = None
    if tiered:
        sold = commission_month_sales(reseller=reseller, at=at)
        tier = (
            CommissionPlanTier.objects.filter(plan_id=plan_id, monthly_sales_from__lte=sold)
            .order_by("-monthly_sales_from")
            .values_list("monthly_sales_from", "rate")
            .first()
        )
        if tier is not None:
            tier_from, rate = tier
    return AppliedRate(rate=rate, plan_id=plan_id, plan_from=plan_from, tier_from=tier_from)


def commission_plan_rate(
    *, reseller: Reseller, at: dt.datetime | None = None
) -> AppliedRate | None:
    """The rate a sale by the reseller at `at` (default now) earns under its plan in force
    that day, or None when the reseller has no plan in force (the fallback applies)."""
    plan = commission_plan_in_force(reseller=reseller, on=commission_today(at))
    if plan is None:
        return None
    return plan_rate(
        reseller=reseller,
        plan_id=plan.pk,
        plan_from=plan.effective_from,
        rate=plan.rate,
        tiered=plan.tiered,
        at=at,
    )


def commission_plan_list(*, reseller: Reseller) -> QuerySet[CommissionPlan]:
    """The reseller's plans, newest start first, each with its tiers and who set it."""
    return (
        CommissionPlan.objects.filter(reseller=reseller)
        .select_related("set_by")
        .prefetch_related(Prefetch("tiers", queryset=CommissionPlanTier.objects.order_by("pk")))
        .order_by("-effective_from")
    )


@dataclass(frozen=True)
class CommissionPlans:
    """A reseller's plans as a page shows them."""

    current: CommissionPlan | None
    upcoming: list[CommissionPlan]
    past: list[CommissionPlan]


def commission_plans(*, reseller: Reseller, today: dt.date | None = None) -> CommissionPlans:
    """The plan in force today, the ones starting later (soonest first) and the earlier
    ones (newest first). Two queries."""
    today = today or commission_today()
    plans = list(commission_plan_list(reseller=reseller))
    upcoming = [p for p in plans if p.effective_from > today]
    earlier = [p for p in plans if p.effective_from <= today]
    return CommissionPlans(
        current=earlier[0] if earlier else None,
        upcoming=list(reversed(upcoming)),
        past=earlier[1:],
    )


def commission_rate_cap(*, reseller: Reseller, on: dt.date) -> Decimal:
    """The highest rate a sub-reseller of `reseller` may earn from the day `on`: the
    reseller's own base rate in force that day (its flat rate without a plan)."""
    plan = CommissionPlan.objects.in_force(reseller_id=reseller.pk, on=on).first()
    return plan.rate if plan is not None else reseller.commission_rate
