from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VatCheck(models.Model):
    """One VIES check of one VAT ID. The reseller points at its current one.

    "Unavailable" (VIES or the member state down) is retried and shown as pending: it never
    means the number is invalid.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("VIES check", "Pending")
        VALID = "valid", _("Valid")
        INVALID = "invalid", _("Invalid")
        UNAVAILABLE = "unavailable", _("Unavailable")

    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.CASCADE,
        related_name="vat_checks",
        verbose_name=_("reseller"),
    )
    vat_id = models.CharField(_("VAT ID"), max_length=20)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    name = models.CharField(_("name (VIES)"), max_length=300, blank=True)
    address = models.TextField(_("address (VIES)"), blank=True)
    consultation_number = models.CharField(_("consultation number"), max_length=64, blank=True)
    error = models.CharField(_("last error"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    retry_at = models.DateTimeField(
        _("asked again at"),
        null=True,
        blank=True,
        help_text=_(
            "When the worker asks VIES again after it was unavailable; empty: not planned."
        ),
    )

    class Meta:
        db_table = "resellers_vatcheck"  # created by resellers 0002; moved here, data kept
        verbose_name = _("VIES check")
        verbose_name_plural = _("VIES checks")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.vat_id} {self.status}"

    @property
    def shown_status(self) -> str:
        """What people see: unavailable is still pending (VIES is asked again)."""
        return self.Status.PENDING if self.status == self.Status.UNAVAILABLE else self.status

    def get_shown_status_display(self) -> str:
        return str(self.Status(self.shown_status).label)
