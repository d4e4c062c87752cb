"""The EN 16931 XML (Factur-X / ZUGFeRD 2.x, profile EN 16931, UN/CEFACT CII) of an invoice or
credit note, built with drafthorse from the invoice's snapshot: nothing is looked up anew.

A credit note is TypeCode 381 with positive amounts and names the invoice it corrects
(BT-25). VAT: one breakdown per category and rate; reverse charge (AE) and not taxable (O)
carry their VATEX exemption codes, O without any rate. EN 16931 forbids every VAT identifier
on an O invoice (BR-O-02), so there the seller's VAT ID is its identifier (BT-29) instead,
which BR-CO-26 asks for. The tests run the XSD and the official schematron over each case.

Built for speed (one per issued document): no schema is loaded, the tree is written once.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import PostalTradeAddress, TradeParty
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from billing.models import REVERSE_CHARGE_WORDING, Invoice, InvoiceLine
from billing.selectors import invoice_vat_groups

GUIDELINE = "urn:cen.eu:en16931:2017"
TYPE_CODE = {Invoice.Kind.INVOICE: "380", Invoice.Kind.CREDIT_NOTE: "381"}
# UNTDID 4461: SEPA credit transfer, credit card, online payment service; 1: not defined.
PAYMENT_MEANS = {"bank": "58", "stripe": "54", "paypal": "68"}
PAYMENT_MEANS_UNKNOWN = "1"
UNIT = "C62"  # one (UN/ECE Recommendation 20)
CENT = Decimal("0.01")

STANDARD = InvoiceLine.Category.STANDARD
REVERSE_CHARGE = InvoiceLine.Category.REVERSE_CHARGE
OUTSIDE_SCOPE = InvoiceLine.Category.OUTSIDE_SCOPE
# VAT exemption reason (BT-120) and its VATEX code (BT-121) per category.
EXEMPTION = {
    REVERSE_CHARGE: ("Reverse charge", "VATEX-EU-AE"),
    OUTSIDE_SCOPE: ("Not subject to VAT", "VATEX-EU-O"),
}
# Invoice notes (BT-22), fixed: the XML is read by machines; the PDF prints translated notes.
NOTES = {
    REVERSE_CHARGE: REVERSE_CHARGE_WORDING,
    OUTSIDE_SCOPE: (
        "Nicht steuerbar, Leistungsort außerhalb der EU / "
        "Not taxable in the EU, place of supply outside the EU"
    ),
}
NOTE_SUBJECT = "REG"  # UNTDID 4451: regulatory information


def _money(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT)


def _address(
    address: PostalTradeAddress, *, street: str, postcode: str, city: str, country: str
) -> None:
    if postcode:
        address.postcode = postcode
    if street:
        address.line_one = street
    if city:
        address.city_name = city
    address.country_id = country


def _seller(party: TradeParty, invoice: Invoice, *, vat_ids: bool) -> None:
    party.name = invoice.issuer_name
    if invoice.issuer_vat_id and not vat_ids:
        party.id = invoice.issuer_vat_id  # BT-29: BR-CO-26 wants one identifier
    if invoice.issuer_email:
        party.contact.email.address = invoice.issuer_email
    _address(
        party.address,
        street=invoice.issuer_street,
        postcode=invoice.issuer_postcode,
        city=invoice.issuer_city,
        country=invoice.issuer_country,
    )
    if invoice.issuer_email:
        party.electronic_address.uri_ID = ("EM", invoice.issuer_email)
    if invoice.issuer_tax_id:
        _registration(party, "FC", invoice.issuer_tax_id)
    if invoice.issuer_vat_id and vat_ids:
        _registration(party, "VA", invoice.issuer_vat_id)


def _buyer(party: TradeParty, invoice: Invoice, *, vat_ids: bool) -> None:
    party.name = invoice.buyer_name
    _address(
        party.address,
        street=invoice.buyer_street,
        postcode=invoice.buyer_postcode,
        city=invoice.buyer_city,
        country=invoice.buyer_country,
    )
    if invoice.buyer_email:
        party.electronic_address.uri_ID = ("EM", invoice.buyer_email)
    if invoice.buyer_vat_id and vat_ids:
        _registration(party, "VA", invoice.buyer_vat_id)


def _registration(party: TradeParty, scheme: str, value: str) -> None:
    registration = party.tax_registrations.child_type()
    registration.id = (scheme, value)
    party.tax_registrations.add(registration)


def _line(line: InvoiceLine) -> LineItem:
    item = LineItem()
    item.document.line_id = str(line.position)
    item.product.name = line.description
    item.agreement.net.amount = line.unit_price
    item.delivery.billed_quantity = (line.quantity, UNIT)
    tax = item.settlement.trade_tax
    tax.type_code = "VAT"
    tax.category_code = line.vat_category
    if line.vat_category != OUTSIDE_SCOPE:
        tax.rate_applicable_percent = line.vat_rate
    item.settlement.monetary_summation.total_amount = _money(line.net)
    return item


def _breakdown(lines: list[InvoiceLine]) -> list[ApplicableTradeTax]:
    """One VAT breakdown (BG-23) per category and rate: the sums of its lines."""
    taxes = []
    for group in invoice_vat_groups(lines):
        tax = ApplicableTradeTax()
        tax.calculated_amount = _money(group.vat)
        tax.type_code = "VAT"
        tax.basis_amount = _money(group.net)
        tax.category_code = group.category
        if group.category in EXEMPTION:
            tax.exemption_reason, tax.exemption_reason_code = EXEMPTION[group.category]
        if group.category != OUTSIDE_SCOPE:
            tax.rate_applicable_percent = group.rate
        taxes.append(tax)
    return taxes


def _dates(document: Document, invoice: Invoice) -> None:
    """The supply date (BT-72), or the billing period (BG-14) when the invoice has one."""
    if invoice.period_start or invoice.period_end:
        period = document.trade.settlement.period
        if invoice.period_start:
            period.start = invoice.period_start
        if invoice.period_end:
            period.end = invoice.period_end
    else:
        document.trade.delivery.event.occurrence = invoice.supply_date


def _payment(document: Document, invoice: Invoice) -> None:
    settlement = document.trade.settlement
    if invoice.payment_reference:
        settlement.payment_reference = invoice.payment_reference
    code = PAYMENT_MEANS.get(invoice.payment_method, PAYMENT_MEANS_UNKNOWN)
    if code == PAYMENT_MEANS["bank"] and not invoice.issuer_iban:
        code = PAYMENT_MEANS_UNKNOWN  # BR-61: no credit transfer without an account
    means = PaymentMeans()
    means.type_code = code
    if code == PAYMENT_MEANS["bank"]:
        # BR-61: a credit transfer names the account to pay to.
        means.payee_account.iban = invoice.issuer_iban
        if invoice.issuer_bic:
            means.payee_institution.bic = invoice.issuer_bic
    settlement.payment_means.add(means)
    gross = _money(invoice.total_gross)
    totals = settlement.monetary_summation
    if invoice.payment_status == Invoice.Payment.PAID:
        totals.prepaid_total = gross
        totals.due_amount = _money(Decimal(0))
    else:
        terms = PaymentTerms()
        terms.due = invoice.due_date
        settlement.terms.add(terms)
        totals.due_amount = gross


def invoice_xml(invoice: Invoice) -> bytes:
    """The EN 16931 CII XML (UTF-8 bytes) of a saved invoice or credit note and its lines."""
    lines = list(invoice.lines.all())
    if not lines:
        raise ValueError(f"invoice {invoice.number} has no lines")
    if (
        sum((line.net for line in lines), Decimal(0)) != invoice.total_net
        or sum((line.vat for line in lines), Decimal(0)) != invoice.total_vat
    ):
        raise ValueError(f"invoice {invoice.number}: totals are not the sums of its lines")
    categories = {line.vat_category for line in lines}
    # BR-O-02: no VAT identifier at all on an invoice with a "not subject to VAT" line.
    vat_ids = OUTSIDE_SCOPE not in categories

    document = Document()
    document.context.guideline_parameter.id = GUIDELINE
    header = document.header
    header.id = invoice.number
    header.type_code = TYPE_CODE[invoice.kind]
    header.issue_date_time = invoice.issue_date
    for category in (REVERSE_CHARGE, OUTSIDE_SCOPE):
        if category in categories:
            header.notes.add(IncludedNote(content=NOTES[category], subject_code=NOTE_SUBJECT))
    if invoice.reason:
        header.notes.add(IncludedNote(content=invoice.reason))

    trade = document.trade
    for line in lines:
        trade.items.add(_line(line))
    _seller(trade.agreement.seller, invoice, vat_ids=vat_ids)
    _buyer(trade.agreement.buyer, invoice, vat_ids=vat_ids)
    _dates(document, invoice)

    settlement = trade.settlement
    settlement.currency_code = invoice.currency
    for tax in _breakdown(lines):
        settlement.trade_tax.add(tax)
    totals = settlement.monetary_summation
    totals.line_total = _money(invoice.total_net)
    totals.tax_basis_total = _money(invoice.total_net)
    totals.tax_total = (_money(invoice.total_vat), invoice.currency)
    totals.grand_total = _money(invoice.total_gross)
    _payment(document, invoice)
    credited = invoice.credited_invoice if invoice.is_credit_note else None
    if credited is not None:
        reference = settlement.invoice_referenced_document
        reference.issuer_assigned_id = credited.number
        reference.issue_date_time = credited.issue_date
    return ET.tostring(document.to_etree(), "utf-8", xml_declaration=True)
