"""Double-entry, append-only ledger.

Sign convention: an entry's amount is positive for a credit and negative for a debit, and an
account's balance is the sum of its entries. A reseller's sales credit funded by 100 has
balance +100; the operator's PayPal clearing that received the money has -119. Every
transaction's entries sum to zero; entries and transactions are never changed or deleted
(PostgreSQL refuses it with triggers); mistakes are corrected by a reversing transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

AMOUNT = {"max_digits": 18, "decimal_places": 4}


class LedgerAccount(models.Model):
    class OwnerType(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        RESELLER = "reseller", _("Reseller")
        CUSTOMER = "customer", _("Customer")

    class Kind(models.TextChoices):
        # operator
        CLEARING_PAYPAL = "clearing_paypal", _("PayPal clearing")
        CLEARING_STRIPE = "clearing_stripe", _("Stripe clearing")
        BANK = "bank", _("Bank")
        VAT_PAYABLE = "vat_payable", _("VAT payable")
        REVENUE = "revenue", _("Revenue")
        COMMISSION_EXPENSE = "commission_expense", _("Commission expense")
        PAYOUTS_PENDING = "payouts_pending", _("Payouts pending")
        # reseller
        SALES_CREDIT = "sales_credit", _("Sales credit")
        COMMISSION = "commission", _("Commission credit")
        PENDING = "pending", _("Pending (before approval)")
        RECEIPTS = "receipts", _("Receipts")
        # Commission taken back on a reversed sale after it had been paid out or moved on:
        # a debit (negative) balance the reseller owes, settled from the next commission.
        COMMISSION_OWED = "commission_owed", _("Commission owed")
        # customer
        BALANCE = "balance", _("Balance")

    owner_type = models.CharField(_("owner type"), max_length=16, choices=OwnerType.choices)
    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    # Operator accounts are split into shards so that postings do not queue on one row.
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    balance = models.DecimalField(_("balance"), default=0, **AMOUNT)
    version = models.PositiveBigIntegerField(_("version"), default=0)
    lower_limit = models.DecimalField(_("lower limit"), null=True, blank=True, **AMOUNT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(lower_limit__isnull=True) | Q(balance__gte=models.F("lower_limit")),
                name="ledger_account_balance_within_limit",
            ),
            models.CheckConstraint(
                condition=(
                    Q(owner_type="operator", reseller__isnull=True, customer__isnull=True)
                    | Q(owner_type="reseller", reseller__isnull=False, customer__isnull=True)
                    | Q(owner_type="customer", customer__isnull=False, shard=0)
                ),
                name="ledger_account_owner_consistent",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "shard"],
                condition=Q(owner_type="operator"),
                name="ledger_account_operator_unique",
            ),
            models.UniqueConstraint(
                fields=["reseller", "kind", "currency"],
                condition=Q(owner_type="reseller"),
                name="ledger_account_reseller_unique",
            ),
            models.UniqueConstraint(
                fields=["customer", "kind", "currency"],
                condition=Q(owner_type="customer"),
                name="ledger_account_customer_unique",
            ),
        ]

    def __str__(self) -> str:
        owner = {
            self.OwnerType.OPERATOR: _("Operator"),
            self.OwnerType.RESELLER: self.reseller_id,
            self.OwnerType.CUSTOMER: self.customer_id,
        }[self.owner_type]
        shard = f"#{self.shard}" if self.owner_type == self.OwnerType.OPERATOR else ""
        return f"{self.owner_type}:{owner} {self.kind}{shard} {self.currency}"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        SALE = "sale", _("Sale")
        COMMISSION = "commission", _("Commission")
        RECHARGE = "recharge", _("Recharge")
        TRANSFER = "transfer", _("Transfer between resellers")
        COMMISSION_TRANSFER = "commission_transfer", _("Commission transfer")
        PAYOUT = "payout", _("Payout")
        PAYOUT_PAID = "payout_paid", _("Payout paid")
        APPROVAL_RELEASE = "approval_release", _("Release on approval")
        FEE = "fee", _("Fee")
        USAGE = "usage", _("Usage")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REVERSAL = "reversal", _("Reversal")

    # No b-tree on kind: a posting would maintain it, and few lists filter by kind alone.
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reseller = models.ForeignKey(
        "resellers.Reseller",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
        db_index=False,  # served by the (reseller, created_at) index
    )
    # Unique within its scope ("operator", "reseller:12", ...): a replay posts once.
    idempotency_scope = models.CharField(_("idempotency scope"), max_length=40)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120)
    request_hash = models.CharField(_("request hash"), max_length=64)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # On PostgreSQL a BRIN index (migration 0004): rows arrive in time order, so a block-range
    # index serves date ranges at a fraction of a b-tree's cost per posting.
    # When the money moved: now, unless the posting says otherwise (ledger_post's `at`).
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)

    # Not a column: ledger_post sets it on the transaction it returns for a replayed key (the
    # one posted before), so a caller can tell a replay without asking the database again.
    replayed = False

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"], name="ledger_txn_idempotency"
            ),
        ]
        indexes = [models.Index(fields=["reseller", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.currency}"


class LedgerEntry(models.Model):
    # No foreign-key constraints in the database for these two (db_constraint=False): on
    # PostgreSQL, triggers (migration 0005) check instead, once per statement and once per
    # transaction rather than two deferred look-ups per entry: an entry is written only with
    # its transaction, in the same database transaction; at commit, every entry's account
    # exists; an account with entries cannot be deleted; transactions never are.
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries", db_constraint=False
    )
    # No index of its own: the (account, id) index below serves look-ups by account too.
    account = models.ForeignKey(
        LedgerAccount,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    amount = models.DecimalField(_("amount"), **AMOUNT)
    balance_after = models.DecimalField(_("balance after"), **AMOUNT)
    # Keyed SHA-256 of the entry and its transaction's kind and currency (services.entry_digest):
    # ledger_verify recomputes it, so an edit made past the triggers is still found.
    digest = models.CharField(_("digest"), max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "id"])]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"
