from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    """An end customer, identified by a mobile number in E.164 and owned by one reseller."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
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
