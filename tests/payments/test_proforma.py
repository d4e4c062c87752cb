"""The proforma PDF: the bank details, the reference, the amount, the not-an-invoice sentence,
the EPC QR code for EUR only, in the buyer's language, fast enough to draw on request."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import translation

from payments.bank.proforma import (
    OperatorDetails,
    ProformaBuyer,
    ProformaContext,
    proforma_html,
    proforma_pdf,
)
from tests.ledger.pdf_text import pdf_text
from tests.services import require_or_skip

NOT_AN_INVOICE = "Proforma — not an invoice; the invoice follows payment."


def context(**changes) -> ProformaContext:
    values = {
        "buyer": ProformaBuyer(
            name="Muster Telecom GmbH",
            address_lines=("Hauptstraße 5", "80331 München"),
            country="DE",
            vat_id="DE811128135",
        ),
        "number": "PF-2026-000101",
        "reference": "RF95T000101",
        "issue_date": date(2026, 11, 28),
        "due_date": date(2026, 12, 12),
        "description": "Top-up of sales credit",
        "net": Decimal("1000.00"),
        "vat_rate": Decimal("19.00"),
        "vat": Decimal("190.00"),
        "gross": Decimal("1190.00"),
        "currency": "EUR",
    }
    values.update(changes)
    return ProformaContext(**values)


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return " ".join(pdf_text(pdf).split())


def test_the_pdf_says_what_to_pay_to_whom_with_which_reference():
    text = text_of(proforma_pdf(context=context()))
    assert NOT_AN_INVOICE in text
    assert "DE89 3704 0044 0532 0130 00" in text  # settings.OPERATOR's IBAN, grouped
    assert "COBADEFFXXX" in text
    assert "RF95 T000 101" in text  # the reference as printed
    assert "€1,190.00" in text
    assert "€1,000.00" in text and "€190.00" in text and "19%" in text
    assert "PF-2026-000101" in text
    assert "Muster Telecom GmbH" in text and "DE811128135" in text
    assert "Tessera Operator GmbH" in text
    assert "invoice number" not in text.lower()


def test_the_buyer_reads_it_in_their_language():
    with translation.override("de"):
        text = text_of(proforma_pdf(context=context()))
    assert "1.190,00 €" in text
    assert "12. Dezember 2026" in text
    assert "19 %" in text
    assert "Deutschland" in text


def test_reverse_charge_shows_its_note_and_no_vat():
    note = "Reverse charge: the recipient accounts for the VAT."
    proforma = context(
        buyer=ProformaBuyer(name="Sklep Polska Sp. z o.o.", country="PL", vat_id="PL5260250995"),
        vat_rate=Decimal("0"),
        vat=Decimal("0"),
        gross=Decimal("1000.00"),
        vat_note=note,
    )
    text = text_of(proforma_pdf(context=proforma))
    assert note in text
    assert "€1,000.00" in text and "Poland" in text


def test_the_qr_code_is_drawn_for_eur_only():
    html = proforma_html(context=context())
    assert html.count("<svg") == 1 and 'aria-label="QR code for your banking app"' in html
    assert "style=" not in html.split("</head>")[1]  # inline SVG without style attributes
    pln = context(currency="PLN", gross=Decimal("1190.00"))
    assert "<svg" not in proforma_html(context=pln)
    text = text_of(proforma_pdf(context=pln))
    assert "1,190.00" in text and "PLN" in text  # still a proforma, just no code


@override_settings(
    OPERATOR={
        "name": "Other Operator SE",
        "address": "Rue de la Loi 1, 1000 Bruxelles",
        "country": "BE",
        "vat_id": "BE0403170701",
        "iban": "BE68539007547034",
        "bic": "GEBABEBB",
        "bank_name": "BNP Paribas Fortis",
    }
)
def test_the_operator_comes_from_the_settings():
    proforma = context(operator=OperatorDetails.from_settings())
    text = text_of(proforma_pdf(context=proforma))
    assert "BE68 5390 0754 7034" in text and "GEBABEBB" in text and "Other Operator SE" in text


@pytest.mark.parametrize(
    "changes",
    [
        {"gross": Decimal("1190.01")},
        {"vat": Decimal("0")},
        {"reference": "RF96T000101"},
        {"reference": "PF-2026-000101"},
    ],
)
def test_an_inconsistent_proforma_is_refused(changes):
    with pytest.raises(ValueError):
        context(**changes)


def test_text_from_the_buyer_is_escaped():
    proforma = context(buyer=ProformaBuyer(name="<script>x</script> & Co"))
    html = proforma_html(context=proforma)
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt; &amp; Co" in html


def test_the_printed_code_scans_to_the_transfer(tmp_path):
    if shutil.which("gs") is None or shutil.which("zbarimg") is None:
        require_or_skip("needs Ghostscript (gs) and zbarimg to scan the printed code")
    pdf = tmp_path / "proforma.pdf"
    pdf.write_bytes(proforma_pdf(context=context()))
    png = tmp_path / "page.png"
    subprocess.run(
        ["gs", "-q", "-dSAFER", "-sDEVICE=pnggray", "-r200", "-o", str(png), str(pdf)],
        check=True,
        timeout=60,
    )
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sbinary", str(png)],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout.decode()
    assert scanned == (
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\nTessera Operator GmbH\nDE89370400440532013000\n"
        "EUR1190.00\n\nRF95T000101"
    )
