"""Top-ups: a reseller paying the operator to fund its sales credit.

One `TopUp` follows a payment from created to paid (or failed, expired, refunded); every
provider event about it, verified or not, is a `PaymentEvent` on it; refunds and chargebacks
are `TopUpRefund` rows. Bank statements arrive as `StatementImport`s of `StatementLine`s,
each matched to at most one top-up.

Amounts are stored with two decimals (the currency's minor unit for every currency we sell:
settings.CURRENCIES); the ledger keeps four.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tax.treatment import treatment_note

MONEY = {"max_digits": 14, "decimal_places": 2}


class Method(models.TextChoices):
    STRIPE = "stripe", _("Card")
    PAYPAL = "paypal", "PayPal"
    BANK = "bank", _("Bank transfer")


class TopUp(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", pgettext_lazy("payment status", "Created")
        PENDING = "pending", pgettext_lazy("payment status", "Pending")
        PAID = "paid", pgettext_lazy("payment status", "Paid")
        FAILED = "failed", pgettext_lazy("payment status", "Failed")
        EXPIRED = "expired", pgettext_lazy("payment status", "Expired")
        REFUNDED = "refunded", pgettext_lazy("payment status", "Refunded")

    OPEN = (Status.CREATED, Status.PENDING)

    reseller = models.ForeignKey(
        "resellers.Reseller", on_delete=models.PROTECT, related_name="topups"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CREATED
    )
    currency = models.CharField(_("currency"), max_length=3)
    net = models.DecimalField(_("net"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    vat = models.DecimalField(_("VAT"), **MONEY)
    gross = models.DecimalField(_("gross"), **MONEY)
    treatment = models.CharField(_("VAT treatment"), max_length=16)
    vat_note = models.CharField(_("VAT note"), max_length=300, blank=True)
    # ISO 11649 structured creditor reference (RF...): the bank transfer's reference, and
    # our reference at the card and PayPal providers (client_reference_id, custom_id).
    reference = models.CharField(_("reference"), max_length=25, unique=True)
    provider_payment_id = models.CharField(_("provider payment ID"), max_length=100, blank=True)
    provider_charge_id = models.CharField(_("provider charge ID"), max_length=100, blank=True)
    checkout_url = models.URLField(_("checkout address"), max_length=2000, blank=True)
    # Where the credit went: sales credit, or `pending` while the reseller awaits approval.
    credited_kind = models.CharField(_("credited to"), max_length=24, blank=True)
    ledger_transaction = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refunded_gross = models.DecimalField(_("refunded"), default=0, **MONEY)
    # Something staff must look at (a chargeback the credit no longer covers, ...).
    attention = models.CharField(_("needs attention"), max_length=300, blank=True)
    # The Add funds form's one-time key: the same form sent twice opens one top-up.
    form_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "form_key"], name="topup_form_once"),
            models.CheckConstraint(
                condition=Q(gross=models.F("net") + models.F("vat")), name="topup_gross_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(net__gt=0) & Q(vat__gte=0), name="topup_amounts_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_gross__gte=0) & Q(refunded_gross__lte=models.F("gross")),
                name="topup_refund_within_gross",
            ),
        ]
        indexes = [
            models.Index(fields=["reseller", "-created_at"]),
            models.Index(fields=["status", "method", "created_at"]),
            models.Index(fields=["provider_payment_id"]),
            models.Index(fields=["provider_charge_id"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def vat_note_text(self) -> str:
        """The VAT note in the reader's language (`vat_note` keeps the text as quoted)."""
        return treatment_note(self.treatment)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def refundable_gross(self):
        return self.gross - self.refunded_gross


# The event types the portal writes itself (a provider's events keep the provider's names).
OWN_EVENT_TYPES = {
    "start": _("Checkout opened"),
    "refund": _("Refund asked of the provider"),
    "proforma-expired": _("Proforma expired"),
}


class PaymentEvent(models.Model):
    """One thing a provider (or our own check) said about a payment, kept as received.

    Verified events are unique per provider and event id, written in the transaction that
    acts on them: a replay finds its row and does nothing. Events that failed a check (a bad
    signature, a wrong amount, an unknown order) are kept too, with the check, for staff.
    """

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Notification")
        RETURN = "return", _("Return from checkout")
        RECONCILE = "reconcile", _("Reconciliation")
        STAFF = "staff", _("Operator staff")
        STATEMENT = "statement", _("Bank statement")

    class Outcome(models.TextChoices):
        APPLIED = "applied", pgettext_lazy("payment event outcome", "Applied")
        RECORDED = "recorded", _("Recorded")
        REJECTED = "rejected", _("Failed a check")
        IGNORED = "ignored", _("Ignored")

    class Check(models.TextChoices):
        NONE = "", _("None")
        BAD_SIGNATURE = "bad_signature", _("Bad signature")
        MALFORMED = "malformed", _("Unreadable")
        UNKNOWN_ORDER = "unknown_order", _("Unknown payment")
        WRONG_AMOUNT = "wrong_amount", _("Wrong amount")
        WRONG_CURRENCY = "wrong_currency", _("Wrong currency")
        NOT_PAID = "not_paid", _("Not paid yet")
        STATE = "state", _("Not possible in this state")

    topup = models.ForeignKey(
        TopUp, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    # A customer's own card payment (payments.services.customer_card): its events, unique
    # per provider and event id like a top-up's.
    customer_payment = models.ForeignKey(
        "payments.CustomerPayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    provider = models.CharField(_("provider"), max_length=16, choices=Method.choices)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    event_id = models.CharField(_("event"), max_length=120, blank=True)
    event_type = models.CharField(_("type"), max_length=80, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    failed_check = models.CharField(
        _("failed check"), max_length=24, choices=Check.choices, blank=True
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    payload = models.JSONField(_("received"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=Q(verified=True) & ~Q(event_id=""),
                name="payment_event_once",
            ),
        ]
        indexes = [
            models.Index(fields=["topup", "id"]),
            models.Index(
                fields=["-received_at"],
                name="payment_event_rejected",
                condition=~Q(failed_check=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type or self.source} {self.outcome}"

    @property
    def is_provider_type(self) -> bool:
        return self.source == self.Source.WEBHOOK

    @property
    def type_label(self) -> str:
        """What happened, in the reader's language for our own steps; a provider's event by
        its own name (checkout.session.completed, PAYMENT.CAPTURE.COMPLETED)."""
        kind = self.event_type
        if self.is_provider_type or not kind:
            return kind
        if kind in OWN_EVENT_TYPES:
            return str(OWN_EVENT_TYPES[kind])
        if kind.startswith("line:"):
            return _("Statement line %(id)s") % {"id": kind.removeprefix("line:")}
        if kind in TopUp.Status.values:
            return str(TopUp.Status(kind).label)
        return kind


class TopUpRefund(models.Model):
    """Money given back on a top-up: a refund staff asked for, one the provider reports
    (dashboard), or a chargeback. The reversal is posted when the refund is asked for, so
    the credit cannot be spent meanwhile; a refund the provider refuses is posted back."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Operator staff")
        PROVIDER = "provider", _("Provider")
        CHARGEBACK = "chargeback", _("Chargeback")

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("refund status", "Requested")
        SUCCEEDED = "succeeded", pgettext_lazy("refund status", "Refunded")
        FAILED = "failed", pgettext_lazy("refund status", "Failed")
        # The provider took the money back but the reseller's credit no longer covers it.
        FLAGGED = "flagged", pgettext_lazy("refund status", "Needs attention")

    topup = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="refunds")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    gross = models.DecimalField(_("gross"), **MONEY)
    net = models.DecimalField(_("net"), **MONEY)
    vat = models.DecimalField(_("VAT"), **MONEY)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    key = models.CharField(max_length=120, unique=True)
    provider_refund_id = models.CharField(_("provider refund ID"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ledger_transaction = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(gross__gt=0), name="refund_gross_positive"),
            models.CheckConstraint(
                condition=Q(gross=models.F("net") + models.F("vat")), name="refund_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topup_id}: {self.gross} ({self.source})"


class StatementImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", pgettext_lazy("statement import status", "Done")
        FAILED = "failed", pgettext_lazy("statement import status", "Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    total_lines = models.PositiveIntegerField(_("lines"), default=0)
    processed_lines = models.PositiveIntegerField(_("processed"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    queued = models.PositiveIntegerField(_("to assign"), default=0)
    duplicates = models.PositiveIntegerField(_("already imported"), default=0)
    skipped = models.PositiveIntegerField(_("not incoming payments"), default=0)
    credited_total = models.JSONField(_("credited"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        if not self.total_lines:
            return 100 if self.status in (self.Status.DONE, self.Status.FAILED) else 0
        return min(100, self.processed_lines * 100 // self.total_lines)


class StatementLine(models.Model):
    class Status(models.TextChoices):
        MATCHED = "matched", pgettext_lazy("statement line status", "Matched")
        UNMATCHED = "unmatched", _("No top-up found")
        PARTIAL = "partial", _("Less than the top-up")
        OVER = "over", _("More than the top-up")
        ALREADY_PAID = "already_paid", _("Top-up already paid")
        WRONG_CURRENCY = "wrong_currency", _("Wrong currency")
        ASSIGNED = "assigned", _("Assigned by hand")
        DISMISSED = "dismissed", _("Not a top-up")

    QUEUE = (
        Status.UNMATCHED,
        Status.PARTIAL,
        Status.OVER,
        Status.ALREADY_PAID,
        Status.WRONG_CURRENCY,
    )

    statement_import = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, related_name="lines"
    )
    # SHA-256 of the fields that identify the booking: the same line imported again is
    # found, whichever file it came in.
    fingerprint = models.CharField(max_length=64, unique=True)
    booking_date = models.DateField(_("booked"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    structured_reference = models.CharField(_("reference"), max_length=40, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_iban = models.CharField(_("payer IBAN"), max_length=40, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    # One line pays one top-up, and a top-up is paid by one line.
    topup = models.OneToOneField(
        TopUp, on_delete=models.PROTECT, null=True, blank=True, related_name="statement_line"
    )
    candidate = models.ForeignKey(
        TopUp,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested top-up"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency}"
