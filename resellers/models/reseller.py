"""The tenant: a reseller, its place in the hierarchy, its status and commission."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField
from djmoney.models.fields import CurrencyField

from tax.models import VatCheck
from tax.status import ViesStatus, vies_status
from tax.treatment import vat_treatment

MAX_SUBRESELLER_DEPTH = 5


class ResellerQuerySet(models.QuerySet):
    def children_of(self, reseller: "Reseller") -> "ResellerQuerySet":
        return self.filter(parent=reseller)


class Reseller(models.Model):
    """The tenant: a company selling the operator's credit, or a sub-reseller of one."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", pgettext_lazy("reseller status", "Rejected")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("display name"), max_length=120)
    legal_name = models.CharField(_("legal name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = CountryField(_("country"))
    address_line = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    currency = CurrencyField(_("currency"), default=settings.DEFAULT_CURRENCY)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.APPLIED
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent reseller"),
        help_text=_("Empty for a direct reseller of the operator."),
    )
    website = models.URLField(_("website"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        default="en",
        help_text=_("The language of e-mails to the reseller."),
    )
    vat_check = models.ForeignKey(
        "tax.VatCheck",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current VIES check"),
    )
    commission_rate = models.DecimalField(
        _("commission rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    # Set by operator staff: whether this reseller's Admins may create sub-resellers, and (on a
    # top-level reseller) how many levels deep its tree may grow below it.
    may_create_subresellers = models.BooleanField(_("may create sub-resellers"), default=False)
    subreseller_depth_limit = models.PositiveSmallIntegerField(
        _("sub-reseller depth limit"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SUBRESELLER_DEPTH)],
        help_text=_("Levels of sub-resellers allowed below the top-level reseller."),
    )

    objects = ResellerQuerySet.as_manager()

    class Meta:
        verbose_name = _("reseller")
        verbose_name_plural = _("resellers")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_rate__gte=0) & models.Q(commission_rate__lte=100),
                name="reseller_commission_rate_percent",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="reseller_not_own_parent"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_direct(self) -> bool:
        return self.parent_id is None

    @property
    def is_blocked(self) -> bool:
        """Users of a suspended or rejected reseller can do nothing but read why."""
        return self.status in (self.Status.SUSPENDED, self.Status.REJECTED)

    @property
    def is_pending_approval(self) -> bool:
        """An applicant: may sign in and read the application status, but not sell."""
        return self.status == self.Status.APPLIED

    @property
    def vies_valid(self) -> bool:
        """Whether VIES confirmed the reseller's current VAT ID."""
        check = self.vat_check
        return (
            check is not None
            and check.status == VatCheck.Status.VALID
            and check.vat_id == self.vat_id
            and bool(self.vat_id)
        )

    @property
    def vies_status(self) -> ViesStatus:
        """What VIES said about the current VAT ID, in words (tax.status)."""
        return vies_status(check=self.vat_check, vat_id=self.vat_id, country=self.country.code)

    @property
    def vat_treatment(self):
        """How the operator charges VAT to this reseller (tax.treatment)."""
        return vat_treatment(customer_country=self.country.code, vies_valid=self.vies_valid)
