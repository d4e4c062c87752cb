"""Background work on invoices; thin: ids in, a service does the work."""

from __future__ import annotations

from celery import shared_task

from billing.services.documents import invoice_render as render
from billing.services.exports import invoice_export_build as export_build
from billing.services.mail import invoice_mail as mail


@shared_task(acks_late=True)
def invoice_render(invoice_id: int) -> str:
    """Draw the invoice's PDF/A-3 with its XML; then send it to the buyer."""
    return render(invoice_id=invoice_id)


@shared_task(acks_late=True)
def invoice_mail(invoice_id: int) -> None:
    mail(invoice_id=invoice_id)


# --- Month exports (branch "pages"): keep this block at the end of the module ---------------


@shared_task(acks_late=True)
def invoice_export_build(export_id: int) -> str:
    """Build a month's ZIP of invoices and credit notes; its progress is on the export."""
    return export_build(export_id=export_id).status
