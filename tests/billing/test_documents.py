"""The invoice PDF: PDF/A-3b with the Factur-X XML, what §14 UStG asks to be on it, stored
once, and the e-mail that sends it."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pikepdf
import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from billing.models import REVERSE_CHARGE_WORDING as REVERSE_CHARGE_PHRASE
from billing.models import Invoice, InvoiceDocument
from billing.services.documents import invoice_render
from billing.services.invoices import LineSpec, invoice_issue
from billing.services.mail import invoice_mail
from tests.billing.documents_helpers import (
    AT_CONSULTATION,
    AT_VAT_ID,
    austrian_reseller,
    german_reseller,
    issue_credit_note,
    issue_topup_invoice,
    us_reseller,
)
from tests.billing.pdf_checks import assert_facturx_pdfa3, pdf_text

pytestmark = pytest.mark.django_db


def rendered(invoice: Invoice) -> tuple[Invoice, InvoiceDocument, str]:
    assert invoice_render(invoice_id=invoice.pk) == Invoice.Render.READY
    invoice.refresh_from_db()
    document = InvoiceDocument.objects.get(invoice=invoice)
    return invoice, document, pdf_text(bytes(document.pdf))


def test_german_domestic_invoice():
    reseller = german_reseller(language="de", legal_name="Kiosk Müller GmbH")
    invoice, document, text = rendered(issue_topup_invoice(reseller, key="de"))
    assert invoice.render_status == Invoice.Render.READY and not invoice.render_error
    assert invoice.pdf_sha256 == document.pdf_sha256
    assert_facturx_pdfa3(document)
    assert invoice.number in text
    assert "Tessera Operator GmbH" in text and "DE129273398" in text  # issuer, VAT ID
    assert "Musterstraße 1" in text and "10115 Berlin" in text
    assert "Kiosk Müller GmbH" in text and "Hauptstraße 5" in text  # buyer
    assert "Sales credit top-up" in text
    # German amounts and rate: 100,00 € net, 19 % VAT 19,00 €, 119,00 € gross.
    assert "100,00 €" in text and "19,00 €" in text and "119,00 €" in text
    assert "19 %" in text or "19\xa0%" in text
    assert REVERSE_CHARGE_PHRASE not in text
    assert "November 2026" in text or str(timezone.localdate().year) in text


def test_austrian_reverse_charge_invoice():
    reseller = austrian_reseller(language="en")
    invoice, document, text = rendered(issue_topup_invoice(reseller, key="at"))
    assert_facturx_pdfa3(document)
    assert invoice.treatment == "reverse_charge" and invoice.total_vat == 0
    assert REVERSE_CHARGE_PHRASE in text
    assert "Art. 196 Directive 2006/112/EC" in text  # tax.treatment's note, in English
    assert AT_VAT_ID in text and AT_CONSULTATION in text
    assert "€100.00" in text and "€0.00" in text
    assert "Paid on" in text and "card" in text


def test_us_open_invoice_shows_how_to_pay():
    reseller = us_reseller(language="en", legal_name="Corner Store Inc.")
    invoice, document, text = rendered(issue_topup_invoice(reseller, key="us", paid=False))
    assert_facturx_pdfa3(document)
    assert "Corner Store Inc." in text and "United States" in text
    assert "Not taxable in the EU" in text
    assert REVERSE_CHARGE_PHRASE not in text
    assert "$100.00" in text and "Paid on" not in text
    assert "DE89 3704 0044 0532 0130 00" in text and "COBADEFFXXX" in text  # bank details
    assert "Please transfer $100.00" in text
    assert f"Reference {invoice.number}" in text  # no payment reference yet: the number


def test_credit_note_names_the_invoice_it_corrects():
    reseller = german_reseller(language="en")
    invoice = issue_topup_invoice(reseller, key="cn")
    credit = issue_credit_note(invoice, key="cn", net=Decimal("40.00"), vat=Decimal("7.60"))
    credit, document, text = rendered(credit)
    assert_facturx_pdfa3(document)
    assert credit.number.startswith("CN-")
    assert "Credit note" in text and credit.number in text
    assert f"Corrects invoice {invoice.number} of" in text
    assert "Refund of an unused top-up" in text
    assert "€40.00" in text and "€7.60" in text and "€47.60" in text


def test_service_period_and_tax_number(settings):
    settings.OPERATOR = {**settings.OPERATOR, "tax_id": "27/123/45678"}
    invoice = issue_topup_invoice(german_reseller(language="en"), key="period")
    Invoice.objects.filter(pk=invoice.pk).update(
        period_start=datetime.date(2026, 10, 1), period_end=datetime.date(2026, 10, 31)
    )
    _invoice, _document, text = rendered(invoice)
    assert "Tax number: 27/123/45678" in text
    assert "Service period: Oct. 1, 2026 to Oct. 31, 2026" in text
    assert "Date of supply" not in text


def test_german_reverse_charge_keeps_the_legal_phrase():
    _invoice, _document, text = rendered(
        issue_topup_invoice(austrian_reseller(language="de"), key="at-de")
    )
    assert REVERSE_CHARGE_PHRASE in text
    assert "100,00 €" in text


def test_long_invoice_runs_onto_numbered_pages():
    reseller = german_reseller(language="en")
    lines = [
        LineSpec(description=f"Recharge voucher batch {n}", unit_price=Decimal("2.50"))
        for n in range(1, 46)
    ]
    with transaction.atomic():
        invoice = invoice_issue(
            reseller=reseller,
            source_key="bulk:1",
            currency="EUR",
            treatment="domestic",
            vat_rate=Decimal("19.00"),
            lines=lines,
            supply_date=timezone.localdate(),
        )
    invoice, document, text = rendered(invoice)
    assert_facturx_pdfa3(document)
    with pikepdf.open(io.BytesIO(bytes(document.pdf))) as pdf:
        pages = len(pdf.pages)
    assert pages >= 2 and f"1 / {pages}" in text
    assert "Recharge voucher batch 45" in text and "€112.50" in text  # 45 × 2.50 net
    _short, _doc, short_text = rendered(issue_topup_invoice(reseller, key="short"))
    assert "1 / 1" not in short_text  # one page: no page numbers


def test_a_second_render_changes_nothing(django_capture_on_commit_callbacks, mailoutbox):
    invoice = issue_topup_invoice(german_reseller(), key="twice")
    with django_capture_on_commit_callbacks(execute=True) as first:
        invoice_render(invoice_id=invoice.pk)
    document = InvoiceDocument.objects.get(invoice=invoice)
    with django_capture_on_commit_callbacks(execute=True) as second:
        assert invoice_render(invoice_id=invoice.pk) == Invoice.Render.READY
    again = InvoiceDocument.objects.get(invoice=invoice)
    assert (again.pk, again.rendered_at, bytes(again.pdf)) == (
        document.pk,
        document.rendered_at,
        bytes(document.pdf),
    )
    assert len(first) == 1 and len(second) == 0  # the mail follows the first write only
    assert len(mailoutbox) == 1


def test_render_failure_is_recorded_and_only_transient_ones_raised(monkeypatch):
    import weasyprint

    invoice = issue_topup_invoice(german_reseller(), key="fails")

    def broken(*args, **kwargs):
        raise ValueError("no layout today")

    monkeypatch.setattr(weasyprint.HTML, "render", broken)
    assert invoice_render(invoice_id=invoice.pk) == Invoice.Render.FAILED
    invoice.refresh_from_db()
    assert invoice.render_status == Invoice.Render.FAILED
    assert "no layout today" in invoice.render_error
    assert not InvoiceDocument.objects.filter(invoice=invoice).exists()

    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(weasyprint.HTML, "render", gone)
    with pytest.raises(OperationalError):
        invoice_render(invoice_id=invoice.pk)
    monkeypatch.undo()
    assert invoice_render(invoice_id=invoice.pk) == Invoice.Render.READY  # the retry
    invoice.refresh_from_db()
    assert invoice.render_status == Invoice.Render.READY and invoice.render_error == ""


def test_issuing_renders_and_mails_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    """The whole chain as a top-up's fulfilment runs it: issue → render → mail."""
    reseller = german_reseller(language="de")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue_topup_invoice(reseller, key="chain")
    invoice.refresh_from_db()
    assert invoice.render_status == Invoice.Render.READY and invoice.emailed_at is not None
    assert len(mailoutbox) == 1


def test_mail_sends_the_pdf_once_in_the_buyers_language(
    django_capture_on_commit_callbacks, mailoutbox
):
    reseller = german_reseller(language="de", contact_email="buchhaltung@kiosk.test")
    invoice, document, _text = rendered(issue_topup_invoice(reseller, key="mail"))
    invoice_mail(invoice_id=invoice.pk)
    invoice_mail(invoice_id=invoice.pk)  # a second run sends nothing
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["buchhaltung@kiosk.test"]
    assert invoice.number in mail.subject
    assert invoice.number in mail.body
    (attachment,) = mail.attachments
    name, content, mimetype = attachment
    assert name == f"{invoice.number}.pdf" and mimetype == "application/pdf"
    assert content == bytes(document.pdf)
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    # The PDF itself is in German (amounts as German writes them) since the buyer is German.
    assert "119,00 €" in pdf_text(content)


def test_credit_note_mail_subject():
    reseller = german_reseller(language="en")
    invoice = issue_topup_invoice(reseller, key="cnmail")
    credit = issue_credit_note(invoice, key="cnmail", net=Decimal("10.00"), vat=Decimal("1.90"))
    invoice_render(invoice_id=credit.pk)
    from django.core import mail

    invoice_mail(invoice_id=credit.pk)
    (message,) = mail.outbox
    assert f"Credit note {credit.number}" in message.subject


def test_mail_waits_for_the_document(mailoutbox):
    invoice = issue_topup_invoice(german_reseller(), key="early")
    invoice_mail(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert mailoutbox == [] and invoice.emailed_at is None
