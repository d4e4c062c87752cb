"""billing.facturx: the EN 16931 XML of invoices and credit notes issued by the real services,
checked against the Factur-X XSD and the official EN 16931 schematron, and read back."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from lxml import etree

from billing.facturx import GUIDELINE, invoice_xml
from billing.models import Invoice
from billing.services.invoices import LineSpec, credit_note_issue, invoice_issue
from tests.billing.facturx_check import assert_valid_en16931, schematron_failures
from tests.factories import ResellerFactory
from tests.payments.helpers import vies_confirm

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
TOTALS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
SELLER = "//ram:SellerTradeParty"
BUYER = "//ram:BuyerTradeParty"
TOP_UP = [LineSpec(description="Credit top-up", unit_price=Decimal("100.00"))]


def _texts(xml: bytes, path: str) -> list[str]:
    return [
        node if isinstance(node, str) else node.text
        for node in etree.fromstring(xml).xpath(path, namespaces=NS)
    ]


def _text(xml: bytes, path: str) -> str:
    values = _texts(xml, path)
    assert len(values) == 1, f"{path}: {values}"
    return values[0]


def _reseller(country: str, *, vat_id: str = "", vies: bool = False, **kwargs):
    reseller = ResellerFactory(
        country=country,
        address_line=kwargs.pop("address_line", "Hauptstraße 5"),
        postal_code=kwargs.pop("postal_code", "1010"),
        city=kwargs.pop("city", "Wien"),
        **kwargs,
    )
    if vies:
        vies_confirm(reseller, vat_id)
    elif vat_id:
        reseller.vat_id = vat_id
        reseller.save(update_fields=["vat_id"])
    return reseller


def _issue(
    reseller,
    *,
    key: str,
    lines=TOP_UP,
    paid: bool = True,
    method: str = "stripe",
    reference: str = "",
    due_days: int = 0,
) -> Invoice:
    quote = reseller.vat_treatment
    with transaction.atomic():
        invoice = invoice_issue(
            reseller=reseller,
            source_key=key,
            currency=reseller.currency,
            treatment=quote.treatment,
            vat_rate=quote.rate,
            lines=lines,
            supply_date=timezone.localdate(),
            paid_at=timezone.now() if paid else None,
            payment_method=method,
            payment_reference=reference,
            due_days=due_days,
        )
    return Invoice.objects.get(pk=invoice.pk)  # as the renderer loads it


def _credit(invoice: Invoice, *, key: str, net: Decimal, vat: Decimal) -> Invoice:
    with transaction.atomic():
        note = credit_note_issue(invoice=invoice, source_key=key, net=net, vat=vat, reason="Refund")
    return Invoice.objects.get(pk=note.pk)


def _valid_xml(invoice: Invoice) -> bytes:
    xml = invoice_xml(invoice)
    assert_valid_en16931(xml)
    assert _text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == GUIDELINE
    assert _text(xml, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    # The sums are the model's totals.
    assert _text(xml, f"{TOTALS}/ram:LineTotalAmount") == str(invoice.total_net)
    assert _text(xml, f"{TOTALS}/ram:TaxBasisTotalAmount") == str(invoice.total_net)
    assert _text(xml, f"{TOTALS}/ram:TaxTotalAmount") == str(invoice.total_vat)
    assert _text(xml, f"{TOTALS}/ram:TaxTotalAmount/@currencyID") == invoice.currency
    assert _text(xml, f"{TOTALS}/ram:GrandTotalAmount") == str(invoice.total_gross)
    assert _text(xml, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == invoice.currency
    return xml


def test_german_company_domestic_vat():
    reseller = _reseller(
        "DE", postal_code="10115", city="Berlin", tax_id="27/123/45678", vat_id="DE811907980"
    )
    lines = [
        LineSpec(description="Credit top-up", unit_price=Decimal("9.99"), quantity=Decimal(3)),
        LineSpec(description="Leaflets", unit_price=Decimal("5.00")),
    ]
    invoice = _issue(reseller, key="topup:de", lines=lines, reference="pi_123")
    assert invoice.treatment == "domestic"
    xml = _valid_xml(invoice)

    assert _text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _texts(xml, "//rsm:ExchangedDocument/ram:IncludedNote") == []
    assert _texts(xml, "//ram:AssociatedDocumentLineDocument/ram:LineID") == ["1", "2"]
    assert _texts(xml, "//ram:SpecifiedTradeProduct/ram:Name") == ["Credit top-up", "Leaflets"]
    assert _texts(xml, "//ram:BilledQuantity/@unitCode") == ["C62", "C62"]
    assert _texts(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["9.99", "5.00"]
    line_totals = "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    assert _texts(xml, line_totals) == ["29.97", "5.00"]
    breakdown = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert _text(xml, f"{breakdown}/ram:CategoryCode") == "S"
    assert _text(xml, f"{breakdown}/ram:RateApplicablePercent") == "19.00"
    assert _text(xml, f"{breakdown}/ram:BasisAmount") == "34.97"
    assert _text(xml, f"{breakdown}/ram:CalculatedAmount") == str(invoice.total_vat)
    # Seller: the operator's snapshot; buyer: the reseller, domestic VAT ID kept.
    assert _text(xml, f"{SELLER}/ram:Name") == invoice.issuer_name
    assert _text(xml, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        invoice.issuer_vat_id
    )
    assert _text(xml, f"{SELLER}//ram:EmailURIUniversalCommunication/ram:URIID") == (
        invoice.issuer_email
    )
    assert _text(xml, f"{SELLER}/ram:PostalTradeAddress/ram:CountryID") == "DE"
    assert _text(xml, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "DE811907980"
    )
    assert _text(xml, f"{BUYER}/ram:PostalTradeAddress/ram:PostcodeCode") == "10115"
    # Paid by card: nothing due.
    assert _text(xml, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == (
        "54"
    )
    assert _text(xml, f"{SETTLEMENT}/ram:PaymentReference") == "pi_123"
    assert _text(xml, f"{TOTALS}/ram:TotalPrepaidAmount") == str(invoice.total_gross)
    assert _text(xml, f"{TOTALS}/ram:DuePayableAmount") == "0.00"
    occurrence = "//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"
    assert _text(xml, occurrence) == invoice.supply_date.strftime("%Y%m%d")


def test_seller_tax_number_is_registered_beside_the_vat_id(settings):
    settings.OPERATOR = {**settings.OPERATOR, "tax_id": "37/123/45678"}
    invoice = _issue(_reseller("DE"), key="topup:de-fc")
    xml = _valid_xml(invoice)
    assert _text(xml, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == (
        "37/123/45678"
    )


def test_austrian_company_with_vies_valid_vat_id_is_reverse_charge():
    reseller = _reseller("AT", vat_id="ATU12345675", vies=True)
    invoice = _issue(reseller, key="topup:at-rc", method="paypal", reference="PAYID-1")
    assert invoice.treatment == "reverse_charge"
    xml = _valid_xml(invoice)

    breakdown = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert _text(xml, f"{breakdown}/ram:CategoryCode") == "AE"
    assert _text(xml, f"{breakdown}/ram:RateApplicablePercent") == "0.00"
    assert _text(xml, f"{breakdown}/ram:CalculatedAmount") == "0.00"
    assert _text(xml, f"{breakdown}/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert _text(xml, f"{breakdown}/ram:ExemptionReason") == "Reverse charge"
    line_tax = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    assert _text(xml, f"{line_tax}/ram:CategoryCode") == "AE"
    assert _text(xml, f"{line_tax}/ram:RateApplicablePercent") == "0.00"
    assert _text(xml, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "ATU12345675"
    )
    assert _text(xml, f"{SELLER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")
    note = _text(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    assert "Steuerschuldnerschaft des Leistungsempfängers" in note
    assert "Reverse charge" in note
    assert _text(xml, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == (
        "68"
    )


def test_austrian_company_without_vat_id_pays_german_vat():
    invoice = _issue(_reseller("AT"), key="topup:at-s")
    assert invoice.treatment == "domestic"
    xml = _valid_xml(invoice)
    assert _text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == "S"
    assert _text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == ("19.00")
    assert _text(xml, f"{TOTALS}/ram:TaxTotalAmount") == "19.00"
    assert _texts(xml, f"{BUYER}/ram:SpecifiedTaxRegistration") == []


def test_polish_company_with_nip_and_vies_valid_vat_id_is_reverse_charge():
    reseller = _reseller(
        "PL",
        vat_id="PL5260250995",
        vies=True,
        tax_id="5260250995",
        address_line="ul. Marszałkowska 1",
        postal_code="00-001",
        city="Warszawa",
    )
    invoice = _issue(reseller, key="topup:pl")
    xml = _valid_xml(invoice)
    assert _text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert _text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == (
        "VATEX-EU-AE"
    )
    assert _text(xml, f"{BUYER}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "PL5260250995"
    )
    assert _text(xml, f"{BUYER}/ram:PostalTradeAddress/ram:CityName") == "Warszawa"


def test_us_company_is_not_subject_to_vat():
    reseller = _reseller(
        "US", currency="USD", address_line="1 Main St", postal_code="10001", city="New York"
    )
    invoice = _issue(reseller, key="topup:us")
    assert invoice.treatment == "not_taxable"
    xml = _valid_xml(invoice)

    breakdown = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert _text(xml, f"{breakdown}/ram:CategoryCode") == "O"
    assert _text(xml, f"{breakdown}/ram:ExemptionReasonCode") == "VATEX-EU-O"
    assert _text(xml, f"{breakdown}/ram:ExemptionReason") == "Not subject to VAT"
    # EN 16931 rules for O: no rate anywhere, no VAT identifier (BR-O-02); the seller's VAT
    # ID identifies it instead (BR-CO-26).
    assert _texts(xml, "//ram:RateApplicablePercent") == []
    assert _texts(xml, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == []
    assert _text(xml, f"{SELLER}/ram:ID") == invoice.issuer_vat_id
    assert _text(xml, f"{TOTALS}/ram:TaxTotalAmount/@currencyID") == "USD"
    note = _text(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    assert "Not taxable in the EU" in note


def test_partial_credit_note_of_a_german_invoice():
    invoice = _issue(_reseller("DE"), key="topup:de-cn", method="stripe", reference="pi_9")
    note = _credit(invoice, key="topup-refund:de", net=Decimal("40.00"), vat=Decimal("7.60"))
    xml = _valid_xml(note)

    assert _text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _text(xml, f"{TOTALS}/ram:GrandTotalAmount") == "47.60"  # positive: 381 credits
    assert _text(xml, f"{TOTALS}/ram:DuePayableAmount") == "0.00"
    reference = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert _text(xml, f"{reference}/ram:IssuerAssignedID") == invoice.number
    assert _text(xml, f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString") == (
        invoice.issue_date.strftime("%Y%m%d")
    )
    assert _text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount") == "7.60"
    assert "Refund" in _texts(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")


def test_full_credit_note_of_an_austrian_reverse_charge_invoice():
    reseller = _reseller("AT", vat_id="ATU12345675", vies=True)
    invoice = _issue(reseller, key="topup:at-cn")
    note = _credit(invoice, key="topup-refund:at", net=invoice.total_net, vat=Decimal("0.00"))
    xml = _valid_xml(note)

    assert _text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _text(xml, f"{TOTALS}/ram:GrandTotalAmount") == "100.00"
    assert _text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert _text(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == (
        "VATEX-EU-AE"
    )
    assert _text(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == (
        invoice.number
    )


def test_open_invoice_is_due_with_a_due_date():
    invoice = _issue(_reseller("DE"), key="topup:open", paid=False, method="", due_days=14)
    assert invoice.payment_status == Invoice.Payment.OPEN
    xml = _valid_xml(invoice)

    assert _text(xml, f"{TOTALS}/ram:DuePayableAmount") == str(invoice.total_gross)
    assert _texts(xml, f"{TOTALS}/ram:TotalPrepaidAmount") == []
    due = f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
    assert _text(xml, due) == (timezone.localdate() + datetime.timedelta(days=14)).strftime(
        "%Y%m%d"
    )
    assert _text(xml, f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == (
        "1"
    )


def test_bank_paid_invoice_names_the_operator_account():
    invoice = _issue(_reseller("DE"), key="topup:bank", method="bank", reference="TSR-ABC-123")
    xml = _valid_xml(invoice)

    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert _text(xml, f"{means}/ram:TypeCode") == "58"
    assert _text(xml, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == (
        invoice.issuer_iban
    )
    assert _text(xml, f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == (
        invoice.issuer_bic
    )
    assert _text(xml, f"{SETTLEMENT}/ram:PaymentReference") == "TSR-ABC-123"


def test_billing_period_replaces_the_supply_date():
    invoice = _issue(_reseller("DE"), key="topup:period")
    start, end = datetime.date(2025, 1, 1), datetime.date(2025, 1, 31)
    Invoice.objects.filter(pk=invoice.pk).update(period_start=start, period_end=end)
    invoice.refresh_from_db()
    xml = _valid_xml(invoice)

    period = f"{SETTLEMENT}/ram:BillingSpecifiedPeriod"
    assert _text(xml, f"{period}/ram:StartDateTime/udt:DateTimeString") == "20250101"
    assert _text(xml, f"{period}/ram:EndDateTime/udt:DateTimeString") == "20250131"
    assert _texts(xml, "//ram:ActualDeliverySupplyChainEvent") == []


def test_checker_reports_a_tampered_total():
    xml = invoice_xml(_issue(_reseller("DE"), key="topup:tamper"))
    assert schematron_failures(xml) == []
    root = etree.fromstring(xml)
    grand = root.xpath(f"{TOTALS}/ram:GrandTotalAmount", namespaces=NS)[0]
    grand.text = str(Decimal(grand.text) + 1)
    failures = schematron_failures(etree.tostring(root))
    assert "BR-CO-15" in {failure.id for failure in failures}
    with pytest.raises(AssertionError, match="BR-CO-15"):
        assert_valid_en16931(etree.tostring(root))
