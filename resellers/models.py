from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from djmoney.models.fields import CurrencyField

from tax.models import VatCheck
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
        REJECTED = "rejected", _("Rejected")
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
    def vat_treatment(self):
        """How the operator charges VAT to this reseller (tax.treatment)."""
        return vat_treatment(customer_country=self.country.code, vies_valid=self.vies_valid)


class TermsDocument(models.Model):
    """A published version of the reseller terms. New versions are added; old ones stay."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("terms document")
        verbose_name_plural = _("terms documents")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class TermsAcceptance(models.Model):
    """Who accepted which version of the terms, when, from which address."""

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.CASCADE,
        related_name="terms_acceptances",
        verbose_name=_("reseller"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    terms = models.ForeignKey(
        TermsDocument, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("terms")
    )
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("terms acceptance")
        verbose_name_plural = _("terms acceptances")
        ordering = ["-accepted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reseller_id} v{self.terms_id}"


# --- Branding and own hostname (issue 4, point 7) ---------------------------------------------


def branding_logo_path(instance: "Branding", filename: str) -> str:
    """Where a logo is stored; the name is ours, never the uploader's (see branding_update)."""
    return f"branding/{instance.reseller_id}/{filename}"


class Branding(models.Model):
    """How a reseller's portal looks on its own hostname: name, logo and colours."""

    reseller = models.OneToOneField(
        Reseller, on_delete=models.CASCADE, related_name="branding", verbose_name=_("reseller")
    )
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        blank=True,
        help_text=_("Shown in the header and as the sender of messages. Empty: the company name."),
    )
    logo = models.ImageField(_("logo"), upload_to=branding_logo_path, blank=True)
    header_colour = models.CharField(_("header colour"), max_length=7, default="#1f3a5f")
    background_colour = models.CharField(_("background colour"), max_length=7, default="#ffffff")
    text_colour = models.CharField(_("text colour"), max_length=7, default="#212529")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("brandings")

    def __str__(self) -> str:
        return self.display_name or str(self.reseller)


class ResellerHostname(models.Model):
    """A reseller's own host name (an A record to the portal), active once the fee is paid."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for DNS")
        VERIFIED = "verified", _("DNS verified")
        ACTIVE = "active", _("Active")

    reseller = models.OneToOneField(
        Reseller, on_delete=models.CASCADE, related_name="hostname", verbose_name=_("reseller")
    )
    # Lower-case ASCII (IDNA), no trailing dot; unique across the platform.
    hostname = models.CharField(_("host name"), max_length=253, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    last_checked_at = models.DateTimeField(_("last DNS check"), null=True, blank=True)
    last_check_addresses = models.JSONField(_("addresses found"), default=list, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    fee_transaction = models.ForeignKey(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fee transaction"),
    )

    class Meta:
        verbose_name = _("reseller host name")
        verbose_name_plural = _("reseller host names")
        indexes = [models.Index(fields=["hostname", "status"])]

    def __str__(self) -> str:
        return self.hostname


# --- Advertising material (issue 4, point 8) ---------------------------------------------------


class AdvertisingRequest(models.Model):
    """A reseller asks the operator for printed leaflets or posters."""

    class Kind(models.TextChoices):
        LEAFLET = "leaflet", _("Leaflets")
        POSTER = "poster", _("Posters")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        IN_PRODUCTION = "in_production", _("In production")
        SHIPPED = "shipped", _("Shipped")
        REJECTED = "rejected", _("Rejected")

    # Sane amounts per kind: (least, most) pieces in one request.
    QUANTITY_BOUNDS = {Kind.LEAFLET: (25, 5000), Kind.POSTER: (1, 100)}
    # Where each status may go next; shipped and rejected are final.
    TRANSITIONS = {
        Status.REQUESTED: (Status.IN_PRODUCTION, Status.REJECTED),
        Status.IN_PRODUCTION: (Status.SHIPPED, Status.REJECTED),
        Status.SHIPPED: (),
        Status.REJECTED: (),
    }

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.CASCADE,
        related_name="advertising_requests",
        verbose_name=_("reseller"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("material"), max_length=16, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    recipient = models.CharField(_("recipient"), max_length=120)
    address_line = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    status_note = models.CharField(
        _("operator note"),
        max_length=300,
        blank=True,
        help_text=_("The reason of a rejection, or e.g. the parcel's tracking number."),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("advertising material request")
        verbose_name_plural = _("advertising material requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reseller", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1) & models.Q(quantity__lte=5000),
                name="advertising_request_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.quantity}"

    @property
    def next_statuses(self) -> tuple:
        return self.TRANSITIONS[self.Status(self.status)]
