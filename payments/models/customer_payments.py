"""Customers paying for their own credit: into their reseller's own PayPal, or by card
through the operator's Stripe."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from payments.models.topups import MONEY


class ResellerPaypal(models.Model):
    """A reseller's own PayPal account, which its customers pay into (PayPal Payments
    Standard). PayPal tells the portal of each payment by IPN to this reseller's notify_url
    (its `notify_token` names the reseller); a payment counts only if it was received by
    this account (`receiver_email` or `merchant_id`)."""

    reseller = models.OneToOneField(
        "resellers.Reseller", on_delete=models.PROTECT, related_name="paypal_account"
    )
    receiver_email = models.EmailField(_("PayPal e-mail address"))
    merchant_id = models.CharField(_("PayPal merchant ID"), max_length=20)
    enabled = models.BooleanField(_("customers may top up with PayPal"), default=False)
    notify_token = models.CharField(max_length=43, unique=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reseller PayPal account")
        verbose_name_plural = _("reseller PayPal accounts")

    def __str__(self) -> str:
        return f"{self.reseller_id}: {self.receiver_email}"


class CustomerPayment(models.Model):
    """An end customer paying for credit: into the reseller's own PayPal (`paypal`), or by
    card through the operator's Stripe (`stripe`). A verified payment becomes a recharge of
    the customer (customers.services.customer_recharge, the provider's payment id as its
    idempotency key), funded by the reseller's sales credit; while that is short the payment
    waits as `needs_funds` and is credited after the reseller's next top-up."""

    class Provider(models.TextChoices):
        PAYPAL = "paypal", "PayPal"
        STRIPE = "stripe", _("Card")

    class Status(models.TextChoices):
        CREATED = "created", pgettext_lazy("payment status", "Created")
        PENDING = "pending", pgettext_lazy("payment status", "Pending")
        PAID = "paid", pgettext_lazy("customer payment status", "Paid, being credited")
        NEEDS_FUNDS = "needs_funds", _("Waiting for sales credit")
        CREDITED = "credited", pgettext_lazy("customer payment status", "Credited")
        REVERSED = "reversed", pgettext_lazy("customer payment status", "Reversed")
        FLAGGED = "flagged", pgettext_lazy("customer payment status", "Needs attention")
        EXPIRED = "expired", pgettext_lazy("payment status", "Expired")

    # Paid, and not yet on the customer's balance.
    WAITING = (Status.PAID, Status.NEEDS_FUNDS)

    reseller = models.ForeignKey(
        "resellers.Reseller", on_delete=models.PROTECT, related_name="customer_payments"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(_("paid with"), max_length=16, choices=Provider.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CREATED
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    # Our order id, sent to the provider (PayPal `invoice`, Stripe client_reference_id).
    reference = models.CharField(_("order"), max_length=32, unique=True)
    # PayPal's txn_id, Stripe's payment intent: the recharge's idempotency key.
    provider_payment_id = models.CharField(_("provider payment ID"), max_length=100, blank=True)
    checkout_url = models.URLField(_("checkout address"), max_length=2000, blank=True)
    # Stripe only: the Checkout Session the customer pays on (asked again on the return
    # page); `provider_payment_id` becomes its payment intent once paid, which refunds and
    # disputes name.
    checkout_id = models.CharField(_("checkout session"), max_length=100, blank=True)
    recharge = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Stripe only: the operator's card receipt that funded the seller's sales credit.
    funding = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reversal = models.OneToOneField(
        "ledger.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    attention = models.CharField(_("needs attention"), max_length=300, blank=True)
    # The customer's form's one-time key: the same form sent twice opens one payment.
    form_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    credited_at = models.DateTimeField(_("credited"), null=True, blank=True)
    # When the reseller was told its sales credit is short for this payment (once).
    funds_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer payment")
        verbose_name_plural = _("customer payments")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "form_key"], name="customer_payment_form_once"
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="customer_payment_provider_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="customer_payment_positive"),
        ]
        indexes = [
            models.Index(fields=["reseller", "-created_at"]),
            models.Index(fields=["status", "reseller", "id"]),
        ]

    def __str__(self) -> str:
        return self.reference


class PaypalIpn(models.Model):
    """One Instant Payment Notification PayPal posted to a reseller's notify_url, kept with
    what the portal made of it: the postback's verdict, then the outcome and, when it was
    refused, the check that failed. Its raw body is the postback's input; nothing in it is
    trusted before PayPal answered VERIFIED. Shown to the reseller and to staff."""

    class Verdict(models.TextChoices):
        PENDING = "pending", pgettext_lazy("IPN verdict", "Not checked yet")
        VERIFIED = "verified", pgettext_lazy("IPN verdict", "Confirmed by PayPal")
        INVALID = "invalid", pgettext_lazy("IPN verdict", "Not sent by PayPal")
        ERROR = "error", pgettext_lazy("IPN verdict", "PayPal did not answer")

    class Outcome(models.TextChoices):
        PENDING = "pending", pgettext_lazy("IPN outcome", "Waiting")
        APPLIED = "applied", pgettext_lazy("IPN outcome", "Applied")
        DUPLICATE = "duplicate", pgettext_lazy("IPN outcome", "Already applied")
        REJECTED = "rejected", pgettext_lazy("IPN outcome", "Refused")
        IGNORED = "ignored", pgettext_lazy("IPN outcome", "Ignored")
        RECORDED = "recorded", pgettext_lazy("IPN outcome", "Recorded")

    class Check(models.TextChoices):
        NONE = "", pgettext_lazy("IPN check", "None")
        FORGED = "forged", pgettext_lazy("IPN check", "Forged: PayPal did not send it")
        WRONG_RECEIVER = "wrong_receiver", pgettext_lazy("IPN check", "Another PayPal account")
        WRONG_CURRENCY = "wrong_currency", pgettext_lazy("IPN check", "Wrong currency")
        WRONG_AMOUNT = "wrong_amount", pgettext_lazy("IPN check", "Wrong amount")
        UNKNOWN_ORDER = "unknown_order", pgettext_lazy("IPN check", "Unknown order")
        NOT_COMPLETED = "not_completed", pgettext_lazy("IPN check", "Payment not completed")
        MALFORMED = "malformed", pgettext_lazy("IPN check", "Unreadable")

    class Note(models.TextChoices):
        """What happened, for people: the sentence the pages show."""

        NONE = "", ""
        PAID = "paid", _("The order was paid; it is credited to the customer.")
        REPLAY = "replay", _("A repeat of a notification already applied; nothing changed.")
        NOT_COMPLETED = (
            "not_completed",
            _("PayPal has not completed this payment; nothing is credited until it does."),
        )
        PAID_TWICE = (
            "paid_twice",
            _(
                "The order was already paid by another PayPal transaction: refund this one in "
                "PayPal."
            ),
        )
        REVERSED = "reversed", _("The customer took the payment back; the recharge was reversed.")
        REVERSAL_FLAGGED = (
            "reversal_flagged",
            _(
                "The customer took the payment back, but the balance is spent: the recharge could "
                "not be reversed. Please look at it."
            ),
        )
        PARTIAL_REFUND = (
            "partial_refund",
            _("A partial refund: not reversed automatically. Please look at it."),
        )
        CANCELED_REVERSAL = (
            "canceled_reversal",
            _("PayPal cancelled a reversal and the money came back. Please look at the payment."),
        )
        NOT_A_PAYMENT = "not_a_payment", _("Not about a payment; nothing to do.")

    reseller = models.ForeignKey(
        "resellers.Reseller", on_delete=models.PROTECT, related_name="paypal_ipns"
    )
    body = models.BinaryField(_("message as received"))
    txn_id = models.CharField(_("PayPal transaction ID"), max_length=64, blank=True)
    parent_txn_id = models.CharField(_("original transaction ID"), max_length=64, blank=True)
    txn_type = models.CharField(_("type"), max_length=64, blank=True)
    payment_status = models.CharField(_("payment status"), max_length=64, blank=True)
    receiver_email = models.CharField(_("receiver e-mail address"), max_length=254, blank=True)
    receiver_id = models.CharField(_("receiver merchant ID"), max_length=64, blank=True)
    invoice = models.CharField(_("order"), max_length=127, blank=True)
    custom = models.CharField(_("custom field"), max_length=255, blank=True)
    gross = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    verdict = models.CharField(
        _("verification"), max_length=16, choices=Verdict.choices, default=Verdict.PENDING
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    failed_check = models.CharField(
        _("check failed"), max_length=16, choices=Check.choices, blank=True, default=""
    )
    note = models.CharField(
        _("what happened"), max_length=24, choices=Note.choices, blank=True, default=""
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    attention = models.BooleanField(_("needs attention"), default=False)
    customer_payment = models.ForeignKey(
        CustomerPayment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ipns",
        verbose_name=_("customer payment"),
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    verified_at = models.DateTimeField(_("checked"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("postback attempts"), default=0)

    class Meta:
        verbose_name = _("PayPal notification")
        verbose_name_plural = _("PayPal notifications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["reseller", "-received_at"]),
            models.Index(fields=["txn_id"]),
            models.Index(fields=["verdict", "outcome"]),
        ]

    def __str__(self) -> str:
        return f"IPN {self.pk} {self.txn_id or self.txn_type}"
