"""A reseller's branding (colours, logo, display name) and its own hostname."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resellers.models.reseller import Reseller


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
        ACTIVE = "active", pgettext_lazy("host name status", "Active")

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
