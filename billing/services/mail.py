"""Sending an issued invoice (or credit note) to the buyer, with its PDF attached.

Run by a task once the document is stored. The invoice is claimed first (`emailed_at` set
where it is still empty, one UPDATE, committed before the mail goes out): a second run finds
it claimed and sends nothing. If sending fails the claim is given back, so a retry sends it.
"""

from __future__ import annotations

import logging

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.utils import timezone, translation

from billing.models import Invoice, InvoiceDocument
from core.money import money_display

logger = logging.getLogger(__name__)

TEMPLATE_PREFIX = "billing/email/invoice"


def invoice_mail(*, invoice_id: int) -> None:
    """E-mail the invoice's PDF to its buyer in the invoice's language, once."""
    invoice = Invoice.objects.get(pk=invoice_id)
    if invoice.emailed_at is not None or not invoice.buyer_email:
        return
    document = InvoiceDocument.objects.filter(invoice_id=invoice_id).only("pdf").first()
    if document is None:
        return  # not drawn yet: the render task sends it once it stored the document
    now = timezone.now()
    claimed = Invoice.objects.filter(pk=invoice_id, emailed_at__isnull=True).update(emailed_at=now)
    if not claimed:
        return
    try:
        with translation.override(invoice.language or settings.LANGUAGE_CODE):
            adapter = get_adapter()
            message = adapter.render_mail(
                TEMPLATE_PREFIX,
                invoice.buyer_email,
                {
                    "invoice": invoice,
                    "gross": money_display(invoice.total_gross, invoice.currency),
                    "is_paid": invoice.payment_status == Invoice.Payment.PAID,
                },
            )
        message.attach(f"{invoice.number}.pdf", bytes(document.pdf), "application/pdf")
        message.send()
    except Exception:
        Invoice.objects.filter(pk=invoice_id, emailed_at=now).update(emailed_at=None)
        raise
