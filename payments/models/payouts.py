"""Commission payouts: a reseller's withdrawal of commission credit to its bank account, and
the SEPA credit transfer files (pain.001.001.03) staff export them in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from payments.models.topups import MONEY


class PayoutBatch(models.Model):
    """One SEPA credit transfer file (pain.001.001.03) of approved payouts, as exported: the
    operator's bank executes it, staff confirm it when it did, and its payouts are paid."""

    class Status(models.TextChoices):
        EXPORTED = "exported", pgettext_lazy("payout batch status", "Exported")
        CONFIRMED = "confirmed", pgettext_lazy("payout batch status", "Paid")

    message_id = models.CharField(_("message ID"), max_length=35, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    execution_date = models.DateField(_("execution date"))
    count = models.PositiveIntegerField(_("transfers"))
    control_sum = models.DecimalField(_("total"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.EXPORTED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout file")
        verbose_name_plural = _("payout files")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gt=0) & Q(control_sum__gt=0), name="payout_batch_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.message_id

    @property
    def file_name(self) -> str:
        return f"payouts-{self.message_id}.xml"


class Payout(models.Model):
    """A reseller's withdrawal of commission credit to its bank account. The amount leaves
    the commission credit when it is requested (to the operator's payouts pending); a
    rejection gives it back; the SEPA file pays it out of the operator's bank."""

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("payout status", "Requested")
        APPROVED = "approved", pgettext_lazy("payout status", "Approved")
        REJECTED = "rejected", pgettext_lazy("payout status", "Rejected")
        EXPORTED = "exported", pgettext_lazy("payout status", "In transfer")
        PAID = "paid", pgettext_lazy("payout status", "Paid")

    DECIDABLE = (Status.REQUESTED, Status.APPROVED)

    reseller = models.ForeignKey(
        "resellers.Reseller", on_delete=models.PROTECT, related_name="payouts"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    iban = models.CharField("IBAN", max_length=34)  # compact: no spaces, upper case
    bic = models.CharField("BIC", max_length=11, blank=True)
    holder = models.CharField(_("account holder"), max_length=70)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The request form's one-time key: the same form posted twice makes one payout.
    form_key = models.CharField(max_length=64)
    request_transaction = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    return_transaction = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_transaction = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    batch = models.ForeignKey(
        PayoutBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="payouts"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "form_key"], name="payout_form_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["reseller", "-created_at"]),
            models.Index(fields=["status", "id"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """What the reseller, staff and the bank transfer call it."""
        return f"PO-{self.pk}"

    @property
    def end_to_end_id(self) -> str:
        """The transfer's EndToEndId (at most 35 characters): back on the bank statement."""
        return f"TESSERA-{self.reference}"

    @property
    def iban_display(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))
