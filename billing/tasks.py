"""Background work on invoices; thin: ids in, a service does the work."""

from __future__ import annotations

from celery import shared_task

from billing.services.exports import invoice_export_build as export_build

# --- Month exports (branch "pages"): keep this block at the end of the module ---------------


@shared_task(acks_late=True)
def invoice_export_build(export_id: int) -> str:
    """Build a month's ZIP of invoices and credit notes; its progress is on the export."""
    return export_build(export_id=export_id).status
