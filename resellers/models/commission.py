"""Commission plans: the rate a reseller earns on its sales, from a date on, set by operator
staff or by its parent reseller, optionally in tiers by the reseller's monthly sales.

A plan is never edited once in force: a new rate is a new plan with a later date, so every
sale keeps the rate it was made at. The rule that picks the plan of a sale is written once,
here (`CommissionPlanQuerySet.in_force`); customers.sql compiles it into the recharge.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


class CommissionPlanQuerySet(models.QuerySet):
    def in_force(self, *, reseller_id, on) -> CommissionPlanQuerySet:
        """The plans of the reseller `reseller_id` (an id or an OuterRef) that started on or
        before the date `on`, the one in force first (the latest start)."""
        return self.filter(reseller_id=reseller_id, effective_from__lte=on).order_by(
            "-effective_from"
        )


class CommissionPlan(models.Model):
    """The commission rate (%) a reseller earns on its sales from `effective_from` on, until
    a plan with a later date starts; with tiers, the rate depends on its sales so far in
    the calendar month (CommissionPlanTier)."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Operator staff")
        PARENT = "parent", _("Parent reseller")

    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.PROTECT,
        related_name="commission_plans",
        verbose_name=_("reseller"),
        db_index=False,  # served by the (reseller, effective_from) unique index
    )
    effective_from = models.DateField(_("effective from"))
    rate = models.DecimalField(_("commission rate (%)"), **PERCENT)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    source = models.CharField(_("set by"), max_length=8, choices=Source.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CommissionPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        ordering = ["reseller_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "effective_from"], name="commission_plan_reseller_date"
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0) & models.Q(rate__lte=100),
                name="commission_plan_rate_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reseller_id}: {self.rate} % from {self.effective_from}"

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day


class CommissionPlanTier(models.Model):
    """Within a plan: the rate from `monthly_sales_from` of sales in the calendar month on."""

    plan = models.ForeignKey(
        CommissionPlan, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("plan")
    )
    monthly_sales_from = models.DecimalField(
        _("monthly sales from"), max_digits=14, decimal_places=2
    )
    rate = models.DecimalField(_("commission rate (%)"), **PERCENT)

    class Meta:
        verbose_name = _("commission plan tier")
        verbose_name_plural = _("commission plan tiers")
        ordering = ["plan_id", "monthly_sales_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "monthly_sales_from"], name="commission_plan_tier_threshold"
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_sales_from__gt=0),
                name="commission_plan_tier_threshold_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0) & models.Q(rate__lte=100),
                name="commission_plan_tier_rate_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate} % from {self.monthly_sales_from}"
