"""Every paid top-up issues its invoice in the transaction that credits it, and every
refund that stands its credit note; the documents add up to what the ledger posted.

The VAT table runs the real path: the reseller's treatment quotes the top-up, the payment is
settled, the invoice is issued with the quoted rate; its VAT is what VAT payable received.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import translation

from billing.models import REVERSE_CHARGE_WORDING, Invoice
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.services import OperatorAccount, ledger_post, reseller_account
from payments.bank.reference import rf_format
from payments.errors import RefundError
from payments.gateways.base import PaymentStatus
from payments.models import Method, TopUp, TopUpRefund
from payments.services.refunds import refund_flagged_retry, refund_request
from payments.services.topups import Settlement, topup_create, topup_settle
from tests.factories import MembershipFactory, ResellerFactory, StaffFactory
from tests.payments.helpers import german_reseller, polish_vies_reseller, vies_confirm
from tests.payments.portal import card_paid, clearing, forward, sales_credit, spend

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def _bank_paid(reseller, net: str) -> TopUp:
    actor = MembershipFactory(reseller=reseller).user
    topup = topup_create(
        reseller=reseller, actor=actor, net=net, method=Method.BANK, form_key=str(uuid.uuid4())
    )
    topup_settle(
        topup_id=topup.pk,
        settlement=Settlement(
            source="statement", status=PaymentStatus.PAID, amount=topup.gross, currency="EUR"
        ),
    )
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    return topup


def _vat_posted(topup: TopUp) -> Decimal:
    entries = LedgerEntry.objects.filter(
        transaction=topup.ledger_transaction, account__kind=Kind.VAT_PAYABLE
    )
    return entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def _austrian(vies: bool):
    reseller = ResellerFactory(country="AT", currency="EUR", language="de")
    if vies:
        vies_confirm(reseller, "ATU13585627")
    return reseller


def _polish_with_nip():
    reseller = polish_vies_reseller()
    reseller.tax_id = "5260250995"
    reseller.save(update_fields=["tax_id"])
    return reseller


VAT_TABLE = [
    # buyer, net, rate, VAT, gross, treatment, category, notes (English)
    (lambda: german_reseller(language="de"), "100.00", "19.00", "19.00", "119.00", "domestic", "S"),
    (lambda: _austrian(vies=True), "100.00", "0.00", "0.00", "100.00", "reverse_charge", "AE"),
    (lambda: _austrian(vies=False), "100.00", "19.00", "19.00", "119.00", "domestic", "S"),
    (_polish_with_nip, "250.00", "0.00", "0.00", "250.00", "reverse_charge", "AE"),
    (
        lambda: ResellerFactory(country="US", currency="EUR"),
        "80.00",
        "0.00",
        "0.00",
        "80.00",
        "not_taxable",
        "O",
    ),
    # Rounding at the line, half-up: 20.05 × 19 % = 3.8095 → 3.81.
    (lambda: german_reseller(), "20.05", "19.00", "3.81", "23.86", "domestic", "S"),
]


@pytest.mark.parametrize(
    ("make", "net", "rate", "vat", "gross", "treatment", "category"),
    VAT_TABLE,
    ids=["DE", "AT-VIES", "AT-no-VIES", "PL-NIP-VIES", "US", "DE-rounding"],
)
def test_vat_table(make, net, rate, vat, gross, treatment, category):
    reseller = make()
    topup = _bank_paid(reseller, net)
    invoice = Invoice.objects.get(source_key=f"topup:{topup.pk}")
    line = invoice.lines.get()
    assert (line.vat_rate, line.vat_category) == (Decimal(rate), category)
    assert (invoice.total_net, invoice.total_vat, invoice.total_gross) == (
        Decimal(net),
        Decimal(vat),
        Decimal(gross),
    )
    assert invoice.treatment == treatment
    # The invoice's VAT is, to the cent, what the ledger posted to VAT payable.
    assert invoice.total_vat == _vat_posted(topup) == topup.vat
    assert invoice.payment_status == Invoice.Payment.PAID and invoice.paid_at
    assert invoice.payment_reference == topup.reference and invoice.payment_method == "bank"
    assert invoice.buyer_name == reseller.legal_name
    assert invoice.buyer_country == reseller.country.code
    assert invoice.buyer_vat_id == reseller.vat_id
    with translation.override("en"):
        notes = invoice.legal_notes
    if treatment == "reverse_charge":
        assert notes[0] == REVERSE_CHARGE_WORDING
        assert "Art. 196" in notes[1]
    elif treatment == "not_taxable":
        assert notes == [
            "Not taxable in the EU: place of supply outside the EU (Art. 44 Directive 2006/112/EC)."
        ]
    else:
        assert notes == []


def test_polish_reverse_charge_invoice_keeps_the_vies_consultation_and_nip():
    reseller = _polish_with_nip()
    check = reseller.vat_check
    check.consultation_number = "WAPIAAAAW1234567"
    check.save(update_fields=["consultation_number"])
    invoice = Invoice.objects.get(source_key=f"topup:{_bank_paid(reseller, '50.00').pk}")
    assert invoice.buyer_vat_id == "PL5260250995" and invoice.buyer_tax_id == "5260250995"
    assert invoice.buyer_vies_consultation == "WAPIAAAAW1234567"
    assert invoice.language == "pl"
    # The line is written in the buyer's language (Polish catalogue), with the reference.
    assert rf_format(invoice.payment_reference) in invoice.lines.get().description


def test_an_issued_invoice_keeps_its_buyer_snapshot():
    reseller = german_reseller()
    invoice = Invoice.objects.get(source_key=f"topup:{_bank_paid(reseller, '30.00').pk}")
    reseller.legal_name = "Renamed GmbH"
    reseller.save(update_fields=["legal_name"])
    invoice.refresh_from_db()
    assert invoice.buyer_name != "Renamed GmbH"


def test_a_second_settlement_issues_no_second_invoice():
    reseller = german_reseller()
    topup = _bank_paid(reseller, "40.00")
    topup_settle(
        topup_id=topup.pk,
        settlement=Settlement(
            source="reconcile", status=PaymentStatus.PAID, amount=topup.gross, currency="EUR"
        ),
    )
    assert Invoice.objects.filter(reseller=reseller).count() == 1


def test_invoices_minus_credit_notes_equal_the_ledgers_postings(stripe_portal):
    """A period of card top-ups with every kind of refund: staff partial refund, a refund
    Stripe refuses (posted back, no credit note), a dashboard refund, a chargeback flagged
    for lack of credit and posted later. The documents add up to the ledger, to the cent."""
    staff = StaffFactory()
    de, at, us = german_reseller(), _austrian(vies=True), ResellerFactory(country="US")
    paid = {
        "de": card_paid(stripe_portal, de, "100.00"),
        "de2": card_paid(stripe_portal, de, "20.50"),
        "at": card_paid(stripe_portal, at, "300.00"),
        "us": card_paid(stripe_portal, us, "45.45"),
    }
    refund_request(topup_id=paid["de"].pk, gross="59.50", reason="asked", actor=staff, key="1")
    stripe_portal.fake.outage = 5  # Stripe answers 500: the reversal is posted back
    with pytest.raises(RefundError):
        refund_request(topup_id=paid["de2"].pk, gross="5.00", reason="x", actor=staff, key="2")
    stripe_portal.fake.outage = 0
    stripe_portal.fake.refund_on_dashboard(paid["de2"].provider_charge_id, 1001)  # 10.01
    forward("stripe", stripe_portal.sink, times=2)
    spend(us, "45.45")
    stripe_portal.fake.dispute(paid["us"].provider_charge_id, 4545)
    forward("stripe", stripe_portal.sink, times=2)
    flagged = TopUpRefund.objects.get(topup=paid["us"])
    assert flagged.status == TopUpRefund.Status.FLAGGED
    assert not Invoice.objects.filter(source_key=f"topup-refund:{flagged.pk}").exists()
    ledger_post(  # the reseller pays by other means; staff then post the chargeback
        kind=LedgerTransaction.Kind.ADJUSTMENT,
        currency="EUR",
        legs=[
            (OperatorAccount(Kind.BANK), "-45.45"),
            (reseller_account(reseller=us, kind=Kind.SALES_CREDIT), "45.45"),
        ],
        idempotency_key=f"adj-{uuid.uuid4()}",
        scope=f"reseller:{us.pk}",
        reseller=us,
    )
    refund_flagged_retry(refund_id=flagged.pk, actor=staff)

    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    notes = Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE)
    assert invoices.count() == 4 and notes.count() == 3

    def total(rows, field):
        return rows.aggregate(t=Sum(field))["t"] or Decimal(0)

    vat = total(invoices, "total_vat") - total(notes, "total_vat")
    gross = total(invoices, "total_gross") - total(notes, "total_gross")
    assert (
        vat
        == clearing(Kind.VAT_PAYABLE)
        == Decimal("19.00") - Decimal("9.50") + Decimal("3.90") - Decimal("1.60")
    )
    assert gross == -clearing(Kind.CLEARING_STRIPE)
    # Each credit note corrects its top-up's invoice and mirrors its refund.
    for refund in TopUpRefund.objects.filter(status=TopUpRefund.Status.SUCCEEDED):
        note = Invoice.objects.get(source_key=f"topup-refund:{refund.pk}")
        assert note.credited_invoice.source_key == f"topup:{refund.topup_id}"
        assert (note.total_net, note.total_vat) == (refund.net, refund.vat)


def test_backfill_invoices_top_ups_paid_before_invoicing(stripe_portal):
    reseller = german_reseller()
    topup = card_paid(stripe_portal, reseller, "60.00")
    refund_request(topup_id=topup.pk, gross="11.90", reason="asked", actor=StaffFactory(), key="b")
    # As before this issue: the paid top-up and its refund have no documents.
    Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).delete()
    Invoice.objects.all().delete()
    call_command("invoices_backfill", stdout=(out := _Out()))
    assert "invoices issued: 1; credit notes issued: 1" in out.text
    invoice = Invoice.objects.get(source_key=f"topup:{topup.pk}")
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.credited_invoice == invoice and note.total_gross == Decimal("11.90")
    call_command("invoices_backfill", stdout=(out := _Out()))
    assert "invoices issued: 0; credit notes issued: 0" in out.text
    assert sales_credit(reseller) == Decimal("50.00")


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass
