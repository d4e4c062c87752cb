"""Issuing invoices and credit notes.

`invoice_issue` and `credit_note_issue` run inside the caller's transaction (a top-up's
fulfilment, a refund): the document and its number commit with the money movement they
document, or neither does. Each is idempotent by its `source_key`. The counter is the last
lock taken (top-up, reseller, ledger accounts, then the counter), so the order never
inverts. The PDF is drawn by a task after commit; nothing slow happens under the locks.

VAT: each line's VAT is its net times the rate, rounded half-up to the currency's minor unit
(core.money); the totals are the sums of the lines. The rate and treatment are the ones the
payment was quoted with (tax.treatment), so the invoice's VAT is the VAT the ledger posted.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from audit.services import audit_record
from billing.models import OPERATOR_ISSUER, Invoice, InvoiceLine
from billing.numbering import number_next, number_text, series_for
from core.money import to_minor_unit
from core.queue import enqueue_on_commit
from resellers.models import Reseller
from tax.treatment import Treatment

CATEGORY = {
    Treatment.DOMESTIC: InvoiceLine.Category.STANDARD,
    Treatment.REVERSE_CHARGE: InvoiceLine.Category.REVERSE_CHARGE,
    Treatment.NOT_TAXABLE: InvoiceLine.Category.OUTSIDE_SCOPE,
}


@dataclass(frozen=True)
class LineSpec:
    """One line to invoice: `unit_price` is net. `vat` given: the VAT already posted for this
    line (a refund's share); otherwise net × rate, rounded half-up."""

    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal(1)
    vat: Decimal | None = None


def line_vat(*, net: Decimal, rate: Decimal, currency: str) -> Decimal:
    """A line's VAT: net × rate %, rounded half-up to the currency's minor unit."""
    return to_minor_unit(net * rate / 100, currency)


def _issuer_fields() -> dict:
    operator = settings.OPERATOR
    return {
        "issuer_key": OPERATOR_ISSUER,
        "issuer_name": operator["name"],
        "issuer_street": operator.get("street", ""),
        "issuer_postcode": operator.get("postcode", ""),
        "issuer_city": operator.get("city", "") or operator.get("address", ""),
        "issuer_country": operator.get("country", ""),
        "issuer_vat_id": operator.get("vat_id", ""),
        "issuer_tax_id": operator.get("tax_id", ""),
        "issuer_email": operator.get("support_email", ""),
        "issuer_iban": operator.get("iban", ""),
        "issuer_bic": operator.get("bic", ""),
        "issuer_bank": operator.get("bank_name", ""),
    }


def _buyer_fields(reseller: Reseller, treatment: str) -> dict:
    check = reseller.vat_check
    consultation = ""
    if treatment == Treatment.REVERSE_CHARGE and check is not None:
        consultation = check.consultation_number
    return {
        "buyer_name": reseller.legal_name or reseller.name,
        "buyer_street": reseller.address_line,
        "buyer_postcode": reseller.postal_code,
        "buyer_city": reseller.city,
        "buyer_country": reseller.country.code,
        "buyer_vat_id": reseller.vat_id,
        "buyer_tax_id": reseller.tax_id,
        "buyer_vies_consultation": consultation,
        "buyer_email": reseller.contact_email,
        "language": reseller.language or settings.LANGUAGE_CODE,
    }


def _number(kind: str, issuer_key: str, year: int) -> dict:
    series, prefix = series_for(kind)
    sequence = number_next(issuer_key=issuer_key, series=series, year=year)
    return {
        "series": series,
        "year": year,
        "sequence": sequence,
        "number": number_text(prefix=prefix, year=year, sequence=sequence),
    }


def _create(
    *,
    kind: str,
    reseller: Reseller,
    source_key: str,
    currency: str,
    treatment: str,
    rate: Decimal,
    lines: Sequence[LineSpec],
    supply_date: datetime.date,
    fields: dict,
) -> Invoice:
    if not lines:
        raise ValueError("an invoice needs at least one line")
    rows = []
    for position, spec in enumerate(lines, start=1):
        quantity = Decimal(spec.quantity)
        net = to_minor_unit(spec.unit_price * quantity, currency)
        if treatment == Treatment.DOMESTIC:
            line_rate = rate
            vat = spec.vat
            if vat is None:
                vat = line_vat(net=net, rate=rate, currency=currency)
        else:
            line_rate, vat = Decimal("0.00"), Decimal("0.00")
        rows.append(
            InvoiceLine(
                position=position,
                description=spec.description[:300],
                quantity=quantity,
                unit_price=spec.unit_price,
                net=net,
                vat_category=CATEGORY[Treatment(treatment)],
                vat_rate=line_rate,
                vat=to_minor_unit(vat, currency),
            )
        )
    total_net = sum((row.net for row in rows), Decimal(0))
    total_vat = sum((row.vat for row in rows), Decimal(0))
    issuer = _issuer_fields()
    today = timezone.localdate()
    invoice = Invoice(
        kind=kind,
        reseller=reseller,
        source_key=source_key,
        currency=currency,
        treatment=treatment,
        issue_date=today,
        supply_date=supply_date,
        total_net=total_net,
        total_vat=total_vat,
        total_gross=total_net + total_vat,
        **issuer,
        **_buyer_fields(reseller, treatment),
        **_number(kind, issuer["issuer_key"], today.year),
        **fields,
    )
    invoice.save()
    for row in rows:
        row.invoice = invoice
    InvoiceLine.objects.bulk_create(rows)
    audit_record(
        actor=fields.get("actor"),
        action=f"{kind}.issued",
        reseller=reseller,
        obj=invoice,
        data={"number": invoice.number, "gross": str(invoice.total_gross), "currency": currency},
    )
    enqueue_on_commit("billing.tasks.invoice_render", invoice.pk)
    return invoice


def invoice_issue(
    *,
    reseller: Reseller,
    source_key: str,
    currency: str,
    treatment: str,
    vat_rate: Decimal,
    lines: Sequence[LineSpec],
    supply_date: datetime.date,
    paid_at: datetime.datetime | None = None,
    payment_method: str = "",
    payment_reference: str = "",
    due_days: int = 0,
    actor=None,
) -> Invoice:
    """Issue the invoice for `source_key` (e.g. "topup:12") inside the caller's transaction,
    or return the one issued before. `treatment` and `vat_rate` are what the buyer was
    quoted (tax.treatment); a paid invoice is due on its issue date."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_issue runs inside the transaction it documents")
    existing = Invoice.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    return _create(
        kind=Invoice.Kind.INVOICE,
        reseller=reseller,
        source_key=source_key,
        currency=currency,
        treatment=treatment,
        rate=Decimal(vat_rate),
        lines=lines,
        supply_date=supply_date,
        fields={
            "due_date": today + datetime.timedelta(days=due_days),
            "payment_status": Invoice.Payment.PAID if paid_at else Invoice.Payment.OPEN,
            "paid_at": paid_at,
            "payment_method": payment_method,
            "payment_reference": payment_reference,
            "actor": actor,
        },
    )


def credit_note_issue(
    *,
    invoice: Invoice,
    source_key: str,
    net: Decimal,
    vat: Decimal,
    reason: str = "",
    actor=None,
) -> Invoice:
    """Issue a credit note correcting `invoice` by `net` + `vat` (what the ledger reversed),
    inside the caller's transaction; the one issued before for `source_key` otherwise. The
    credit note repeats the invoice's treatment and rate and is settled (paid back)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("credit_note_issue runs inside the transaction it documents")
    existing = Invoice.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    if invoice.is_credit_note:
        raise ValueError("a credit note corrects an invoice, not another credit note")
    credited = invoice.credit_notes.aggregate(net=Sum("total_net"), vat=Sum("total_vat"))
    if (credited["net"] or 0) + net > invoice.total_net or (credited["vat"] or 0) + vat > (
        invoice.total_vat
    ):
        raise ValueError(f"credit notes would exceed invoice {invoice.number}")
    first = invoice.lines.first()
    rate = first.vat_rate if first is not None else Decimal("0.00")
    today = timezone.localdate()
    reseller = invoice.reseller
    return _create(
        kind=Invoice.Kind.CREDIT_NOTE,
        reseller=reseller,
        source_key=source_key,
        currency=invoice.currency,
        treatment=invoice.treatment,
        rate=rate,
        lines=[LineSpec(description=first.description if first else "", unit_price=net, vat=vat)],
        supply_date=invoice.supply_date,
        fields={
            "credited_invoice": invoice,
            "due_date": today,
            "payment_status": Invoice.Payment.PAID,
            "paid_at": timezone.now(),
            "payment_method": invoice.payment_method,
            "payment_reference": invoice.payment_reference,
            "reason": reason[:300],
            "actor": actor,
        },
    )
