"""Invoices and credit notes: legal documents that never change once issued.

An `Invoice` (kind invoice or credit note) carries a snapshot of its issuer and buyer as they
were at issue time, its lines, and totals that are the sums of the lines. Its number is
gapless per issuer, series and year: `InvoiceCounter` is the row-locked counter, advanced in
the transaction that creates the invoice (billing.numbering). A correction is a credit note
that references the invoice it corrects; a proforma is not an invoice and has no number.

The rendered PDF/A-3 (with its EN 16931 XML inside) and the XML alone are kept in
`InvoiceDocument`, apart from the invoice so lists never load them. A month's ZIP for the
accountant is an `InvoiceExport`, built in the background.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from tax.treatment import Treatment, treatment_note

MONEY = {"max_digits": 14, "decimal_places": 2}
OPERATOR_ISSUER = "operator"
# §14a (5) UStG: the words a reverse-charge invoice must carry, in German whatever the
# document's language, with the English term beside them.
REVERSE_CHARGE_WORDING = "Steuerschuldnerschaft des Leistungsempfängers / Reverse charge"


class InvoiceCounter(models.Model):
    """The last number given out for one issuer, series and year. Only billing.numbering
    touches it, always under `select_for_update` in the issuing transaction: a rolled-back
    invoice gives its number back, a committed one keeps it, so there is never a gap."""

    issuer_key = models.CharField(max_length=40)
    series = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_key", "series", "year"], name="invoicecounter_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer_key} {self.series} {self.year}: {self.last}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Payment(models.TextChoices):
        PAID = "paid", pgettext_lazy("invoice", "Paid")
        OPEN = "open", pgettext_lazy("invoice", "Open")
        OVERDUE = "overdue", pgettext_lazy("invoice", "Overdue")  # shown, never stored

    class Render(models.TextChoices):
        PENDING = "pending", pgettext_lazy("document", "Being prepared")
        READY = "ready", pgettext_lazy("document", "Ready")
        FAILED = "failed", pgettext_lazy("document", "Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Who issues: "operator" (settings.OPERATOR), later "reseller:<id>" for a reseller's
    # own branded invoices to its customers. Numbers are counted per issuer, series, year.
    issuer_key = models.CharField(_("issuer"), max_length=40, default=OPERATOR_ISSUER)
    series = models.CharField(_("series"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=32)
    # What the document is for, e.g. "topup:12" or "topup-refund:5": one document each.
    source_key = models.CharField(max_length=80, unique=True)
    # The tenant whose invoice this is: the reseller that buys (and may read it).
    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("reseller"),
    )
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("corrects invoice"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=8)
    currency = models.CharField(_("currency"), max_length=3)
    issue_date = models.DateField(_("issue date"))
    supply_date = models.DateField(_("date of supply"))
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    payment_status = models.CharField(
        _("payment"), max_length=8, choices=Payment.choices, default=Payment.OPEN
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=16, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=40, blank=True)
    # tax.treatment: domestic / reverse_charge / not_taxable; the note is printed in the
    # document's language from it.
    treatment = models.CharField(_("VAT treatment"), max_length=16)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    total_net = models.DecimalField(_("net"), **MONEY)
    total_vat = models.DecimalField(_("VAT"), **MONEY)
    total_gross = models.DecimalField(_("gross"), **MONEY)

    issuer_name = models.CharField(_("issuer"), max_length=200)
    issuer_street = models.CharField(max_length=200, blank=True)
    issuer_postcode = models.CharField(max_length=20, blank=True)
    issuer_city = models.CharField(max_length=100, blank=True)
    issuer_country = models.CharField(max_length=2)
    issuer_vat_id = models.CharField(max_length=20, blank=True)
    issuer_tax_id = models.CharField(max_length=30, blank=True)
    issuer_email = models.CharField(max_length=254, blank=True)
    issuer_iban = models.CharField(max_length=34, blank=True)
    issuer_bic = models.CharField(max_length=11, blank=True)
    issuer_bank = models.CharField(max_length=100, blank=True)

    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_street = models.CharField(max_length=200, blank=True)
    buyer_postcode = models.CharField(max_length=20, blank=True)
    buyer_city = models.CharField(max_length=100, blank=True)
    buyer_country = models.CharField(max_length=2)
    buyer_vat_id = models.CharField(max_length=20, blank=True)
    buyer_tax_id = models.CharField(max_length=30, blank=True)
    # The VIES consultation number that confirmed the buyer's VAT ID (reverse charge).
    buyer_vies_consultation = models.CharField(max_length=64, blank=True)
    buyer_email = models.CharField(max_length=254, blank=True)

    render_status = models.CharField(
        _("document"), max_length=8, choices=Render.choices, default=Render.PENDING
    )
    render_error = models.CharField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_key", "series", "year", "sequence"], name="invoice_number_once"
            ),
            models.UniqueConstraint(fields=["issuer_key", "number"], name="invoice_number_text"),
            models.CheckConstraint(
                condition=Q(total_gross=F("total_net") + F("total_vat")),
                name="invoice_gross_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credited_invoice__isnull=True)
                | Q(kind="credit_note", credited_invoice__isnull=False),
                name="invoice_credit_note_corrects_one",
            ),
        ]
        indexes = [
            models.Index(fields=["reseller", "-issue_date", "-id"]),
            models.Index(fields=["issue_date", "id"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def shown_payment(self) -> str:
        """paid / open / overdue (an open invoice past its due date)."""
        if self.payment_status == self.Payment.OPEN and self.due_date < timezone.localdate():
            return self.Payment.OVERDUE
        return self.payment_status

    def get_shown_payment_display(self) -> str:
        return str(self.Payment(self.shown_payment).label)

    @property
    def issuer_country_name(self) -> str:
        """The issuer's country as the active language names it."""
        return str(countries.name(self.issuer_country)) if self.issuer_country else ""

    @property
    def buyer_country_name(self) -> str:
        return str(countries.name(self.buyer_country)) if self.buyer_country else ""

    @property
    def legal_notes(self) -> list[str]:
        """What the document must say about its VAT, in the active language: for reverse
        charge the wording §14a UStG asks for (German, with its English name) and the
        directive's note; outside the EU, the note that the supply is not taxable here."""
        notes = []
        if self.treatment == Treatment.REVERSE_CHARGE:
            notes.append(REVERSE_CHARGE_WORDING)
        note = treatment_note(self.treatment)
        if note:
            notes.append(note)
        return notes

    @property
    def sign(self) -> int:
        """+1 for an invoice, -1 for a credit note (for journals and sums)."""
        return -1 if self.is_credit_note else 1


class InvoiceLine(models.Model):
    class Category(models.TextChoices):
        # UNTDID 5305, as EN 16931 uses them.
        STANDARD = "S", _("Standard rate")
        REVERSE_CHARGE = "AE", _("Reverse charge")
        OUTSIDE_SCOPE = "O", _("Not subject to VAT")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    net = models.DecimalField(_("net"), **MONEY)
    vat_category = models.CharField(max_length=2, choices=Category.choices)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    vat = models.DecimalField(_("VAT"), **MONEY)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"

    @property
    def gross(self):
        return self.net + self.vat


class InvoiceDocument(models.Model):
    """The rendered files of an invoice: the PDF/A-3b with the Factur-X (EN 16931) XML
    embedded, and that XML alone. Written once by the render task."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="document")
    pdf = models.BinaryField()
    xml = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    xml_sha256 = models.CharField(max_length=64)
    rendered_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.pdf_sha256[:12]}"


class InvoiceExport(models.Model):
    """A month of invoices and credit notes as one ZIP (PDFs, XMLs and a CSV journal), built
    by a task that reports its progress. `reseller` empty: operator staff's export of every
    reseller."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        READY = "ready", pgettext_lazy("document", "Ready")
        FAILED = "failed", pgettext_lazy("document", "Failed")

    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invoice_exports",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    month = models.DateField(_("month"))  # the first day of the month
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    archive = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reseller", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
