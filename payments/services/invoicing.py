"""The invoices of top-ups and the credit notes of their refunds (billing issues them).

A paid top-up gets its invoice in the transaction that credits it; a refund whose reversal
stands (succeeded and posted) gets its credit note in the transaction that makes it so. Both
are idempotent by their source key ("topup:<id>", "topup-refund:<id>"), so a top-up paid
before invoicing began is invoiced by `invoices_backfill` (manage.py invoices_backfill) or,
at the latest, by its first refund.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import Invoice
from billing.services.invoices import LineSpec, credit_note_issue, invoice_issue
from payments.bank.reference import rf_format
from payments.models import TopUp, TopUpRefund


def topup_invoice_issue(*, topup: TopUp, actor=None) -> Invoice:
    """The invoice of a paid top-up, in the transaction that credits it (or the one issued
    before): one line, the credited net, at the rate and treatment the reseller was quoted,
    so its VAT is the VAT posted to VAT payable. Dated the day it was paid."""
    reseller = topup.reseller
    with translation.override(reseller.language or settings.LANGUAGE_CODE):
        description = _("Prepaid sales credit, top-up %(reference)s") % {
            "reference": rf_format(topup.reference)
        }
    paid_at = topup.paid_at or timezone.now()
    return invoice_issue(
        reseller=reseller,
        source_key=f"topup:{topup.pk}",
        currency=topup.currency,
        treatment=topup.treatment,
        vat_rate=topup.vat_rate,
        lines=[LineSpec(description=description, unit_price=topup.net, vat=topup.vat)],
        supply_date=timezone.localdate(paid_at),
        paid_at=paid_at,
        payment_method=topup.method,
        payment_reference=topup.reference,
        actor=actor,
    )


def refund_credit_note(*, refund: TopUpRefund, actor) -> Invoice:
    """The credit note of a refund whose reversal stands (succeeded and posted), in the
    transaction that makes it so: the refunded net and VAT, correcting the top-up's invoice
    (issued now if the top-up was paid before invoicing began)."""
    topup = refund.topup
    invoice = topup_invoice_issue(topup=topup, actor=actor)
    with translation.override(invoice.language):
        reason = (
            {
                TopUpRefund.Source.PROVIDER: _("Refunded at the payment provider"),
                TopUpRefund.Source.CHARGEBACK: _("Chargeback by the payer's bank"),
            }.get(refund.source)
            or refund.reason
            or _("Refund")
        )
    return credit_note_issue(
        invoice=invoice,
        source_key=f"topup-refund:{refund.pk}",
        net=refund.net,
        vat=refund.vat,
        reason=str(reason),
        actor=actor,
    )


@dataclass
class Backfilled:
    invoices: int = 0
    credit_notes: int = 0


def invoices_backfill() -> Backfilled:
    """Issue the missing invoices of paid top-ups and credit notes of standing refunds, oldest
    first, each in its own transaction under the top-up's lock. Safe to run again (and
    alongside live payments): what exists is left alone."""
    done = Backfilled()
    issued = Invoice.objects.filter(source_key__startswith="topup:").values("source_key")
    keys = {row["source_key"] for row in issued}
    paid = TopUp.objects.filter(
        status__in=(TopUp.Status.PAID, TopUp.Status.REFUNDED), ledger_transaction__isnull=False
    ).order_by("paid_at", "id")
    for topup_id in paid.values_list("id", flat=True).iterator():
        if f"topup:{topup_id}" in keys:
            continue
        with transaction.atomic(durable=True):
            topup = TopUp.objects.select_for_update(of=("self",)).select_related("reseller")
            topup_invoice_issue(topup=topup.get(pk=topup_id))
        done.invoices += 1
    credited = Invoice.objects.filter(source_key__startswith="topup-refund:").values("source_key")
    keys = {row["source_key"] for row in credited}
    standing = TopUpRefund.objects.filter(
        status=TopUpRefund.Status.SUCCEEDED, ledger_transaction__isnull=False
    ).order_by("id")
    for refund_id in standing.values_list("id", flat=True).iterator():
        if f"topup-refund:{refund_id}" in keys:
            continue
        with transaction.atomic(durable=True):
            refund = TopUpRefund.objects.select_for_update().get(pk=refund_id)
            refund_credit_note(refund=refund, actor=None)
        done.credit_notes += 1
    return done
