"""TEMPORARY stand-in for the EN 16931 (Factur-X) XML of an invoice, so the PDF work can run.

The real module (another branch) replaces this file when the branches are merged; the PDF
code depends only on `invoice_xml(invoice) -> bytes`. Minimal but well-formed CII: number,
dates, parties, lines, one tax breakdown per rate, totals.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.tradelines import LineItem

from billing.models import Invoice

EXEMPTION = {"AE": "Reverse charge", "O": "Not subject to VAT"}


def invoice_xml(invoice: Invoice) -> bytes:
    doc = Document()
    doc.context.guideline_parameter.id = "urn:cen.eu:en16931:2017"
    doc.header.id = invoice.number
    doc.header.type_code = "381" if invoice.is_credit_note else "380"
    doc.header.issue_date_time = invoice.issue_date
    agreement = doc.trade.agreement
    agreement.seller.name = invoice.issuer_name
    agreement.seller.address.country_id = invoice.issuer_country
    if invoice.issuer_vat_id:
        agreement.seller.tax_registrations.add(_registration(invoice.issuer_vat_id))
    agreement.buyer.name = invoice.buyer_name
    agreement.buyer.address.country_id = invoice.buyer_country
    doc.trade.delivery.event.occurrence = invoice.supply_date
    settlement = doc.trade.settlement
    settlement.currency_code = invoice.currency
    breakdown: dict[tuple[str, Decimal], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)]
    )
    for line in invoice.lines.all():
        item = LineItem()
        item.document.line_id = str(line.position)
        item.product.name = line.description
        item.agreement.net.amount = line.unit_price
        item.delivery.billed_quantity = (line.quantity, "C62")
        item.settlement.trade_tax.type_code = "VAT"
        item.settlement.trade_tax.category_code = line.vat_category
        item.settlement.trade_tax.rate_applicable_percent = line.vat_rate
        item.settlement.monetary_summation.total_amount = line.net
        doc.trade.items.add(item)
        sums = breakdown[(line.vat_category, line.vat_rate)]
        sums[0] += line.net
        sums[1] += line.vat
    for (category, rate), (net, vat) in breakdown.items():
        tax = ApplicableTradeTax()
        tax.calculated_amount = vat
        tax.basis_amount = net
        tax.type_code = "VAT"
        tax.category_code = category
        if category in EXEMPTION:
            tax.exemption_reason = EXEMPTION[category]
        tax.rate_applicable_percent = rate
        settlement.trade_tax.add(tax)
    totals = settlement.monetary_summation
    totals.line_total = invoice.total_net
    totals.charge_total = Decimal("0.00")
    totals.allowance_total = Decimal("0.00")
    totals.tax_basis_total = invoice.total_net
    totals.tax_total = (invoice.total_vat, invoice.currency)
    totals.grand_total = invoice.total_gross
    totals.due_amount = Decimal("0.00") if invoice.paid_at else invoice.total_gross
    return doc.serialize(schema="FACTUR-X_EN16931")


def _registration(vat_id: str):
    from drafthorse.models.party import TaxRegistration

    registration = TaxRegistration()
    registration.id = ("VA", vat_id)
    return registration
