"""Background work on invoices; thin: ids in, a service does the work."""

from __future__ import annotations

from celery import shared_task

from billing.services.documents import TRANSIENT
from billing.services.documents import invoice_render as render
from billing.services.exports import invoice_export_build as export_build
from billing.services.mail import invoice_mail as mail
from billing.services.recovery import invoices_recover as recover


@shared_task(bind=True, acks_late=True, max_retries=8)
def invoice_render(self, invoice_id: int) -> str:
    """Draw the invoice's PDF/A-3 and XML once; retried only when the database failed."""
    try:
        return render(invoice_id=invoice_id)
    except TRANSIENT as exc:
        if self.request.is_eager:
            raise
        raise self.retry(countdown=min(30 * 2**self.request.retries, 1800)) from exc


@shared_task(acks_late=True)
def invoice_mail(invoice_id: int) -> None:
    mail(invoice_id=invoice_id)


@shared_task(acks_late=True)
def invoice_export_build(export_id: int) -> str:
    """Build a month's ZIP of invoices and credit notes; its progress is on the export."""
    return export_build(export_id=export_id).status


@shared_task(acks_late=True)
def invoices_recover() -> dict:
    """Beat: send again the render and mail tasks that never reached a worker."""
    done = recover()
    return {"renders": done.renders, "mails": done.mails}
