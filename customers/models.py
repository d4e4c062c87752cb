from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Customer(models.Model):
    """An end customer, identified by a mobile number in E.164 and owned by one reseller."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("customer status", "Active")
        SUSPENDED = "suspended", _("Suspended")

    class BalancePolicy(models.TextChoices):
        STRICT = "strict", _("Strict (service stops at zero)")
        PERMISSIVE = "permissive", _("Permissive (down to the credit limit)")

    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("reseller"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        verbose_name=_("login"),
    )
    phone = models.CharField(_("mobile number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    balance_policy = models.CharField(
        _("balance policy"),
        max_length=16,
        choices=BalancePolicy.choices,
        default=BalancePolicy.STRICT,
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    # Set when the portal password was generated (first sale, "resend credentials"): the
    # customer must choose their own before anything else in the portal.
    password_change_required = models.BooleanField(_("must change the password"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reseller", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="customer_credit_limit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.phone


class CommissionTierQuerySet(models.QuerySet):
    def applicable(self, *, reseller_id, amount) -> CommissionTierQuerySet:
        """The tiers that may set the rate of a recharge of `amount` by the reseller
        `reseller_id` (an id or an OuterRef), the one that does first: the reseller's own tier
        with the highest `min_amount` not above the amount, else the operator's default tier
        chosen the same way. The one place this rule is written (customers.sql compiles it)."""
        return self.filter(
            models.Q(reseller_id=reseller_id) | models.Q(reseller__isnull=True),
            min_amount__lte=amount,
        ).order_by(models.F("reseller_id").asc(nulls_last=True), "-min_amount")


class CommissionTier(models.Model):
    """A commission rate for recharges from `min_amount` up, set by the operator.

    The rate of a recharge is the reseller's own tier with the highest `min_amount` not above
    the amount; without one, the operator-wide default tier (no reseller) chosen the same
    way; without that, `Reseller.commission_rate`.
    """

    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="commission_tiers",
        verbose_name=_("reseller"),
        help_text=_("Empty for the default of every reseller without tiers of its own."),
    )
    min_amount = models.DecimalField(_("from amount"), max_digits=12, decimal_places=2)
    rate = models.DecimalField(
        _("commission rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    objects = CommissionTierQuerySet.as_manager()

    class Meta:
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        ordering = ["reseller_id", "min_amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "min_amount"], name="commission_tier_reseller_amount"
            ),
            models.UniqueConstraint(
                fields=["min_amount"],
                condition=models.Q(reseller__isnull=True),
                name="commission_tier_default_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0) & models.Q(rate__lte=100),
                name="commission_tier_rate_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(min_amount__gte=0), name="commission_tier_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reseller or _('default')}: {self.rate} % from {self.min_amount}"
