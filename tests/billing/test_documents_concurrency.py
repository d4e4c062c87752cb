"""Two render tasks for one invoice finishing at once (a redelivered task, a retry racing the
first run): each in its own connection, exactly one document is written and one mail sent."""

from __future__ import annotations

import pytest
from django.core import mail

from billing.facturx import invoice_xml
from billing.models import Invoice, InvoiceDocument
from billing.services.documents import _store, invoice_pdf
from tests.billing.documents_helpers import german_reseller, issue_topup_invoice
from tests.ledger.test_concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_racing_renders_store_one_document_and_send_one_mail():
    invoice = issue_topup_invoice(german_reseller(), key="race")
    mail.outbox.clear()  # the render (and its mail) that followed the commit above
    InvoiceDocument.objects.filter(invoice=invoice).delete()
    Invoice.objects.filter(pk=invoice.pk).update(
        render_status=Invoice.Render.PENDING, pdf_sha256="", emailed_at=None
    )
    invoice = Invoice.objects.prefetch_related("lines").get(pk=invoice.pk)
    xml = invoice_xml(invoice)
    pdfs = [invoice_pdf(invoice=invoice, xml=xml) for _ in range(2)]  # drawn before the race

    outcomes = run_concurrently(
        6, lambda i: _store(invoice_id=invoice.pk, pdf=pdfs[i % 2], xml=xml)
    )

    assert all(outcome is None for outcome in outcomes), outcomes
    (document,) = InvoiceDocument.objects.filter(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.render_status == Invoice.Render.READY
    assert invoice.pdf_sha256 == document.pdf_sha256
    assert len(mail.outbox) == 1 and invoice.emailed_at is not None
