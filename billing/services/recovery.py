"""The recovery path of invoice documents: a render or mail task that never ran.

A task is sent on commit; when the broker refused it (Redis down: core.queue logs and goes
on), nothing else would draw that invoice or send it. The beat job
`billing.tasks.invoices_recover` sends the tasks again for invoices still waiting after
RECOVER_AFTER: both tasks are idempotent (a document is written once, a mail sent once), so
sending one twice costs nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.services import audit_record
from billing.models import Invoice, InvoiceDocument
from core.queue import enqueue_now, enqueue_on_commit

RECOVER_AFTER = datetime.timedelta(minutes=5)
BATCH = 500


@dataclass(frozen=True)
class Recovered:
    renders: int
    mails: int


def invoices_recover(*, older_than: datetime.timedelta = RECOVER_AFTER) -> Recovered:
    """Send again the render task of invoices still waiting for their document, and the mail
    task of those drawn but not mailed to a buyer who has an address."""
    before = timezone.now() - older_than
    waiting = Invoice.objects.filter(render_status=Invoice.Render.PENDING, created_at__lt=before)
    renders = list(waiting.order_by("id").values_list("id", flat=True)[:BATCH])
    drawn = Exists(InvoiceDocument.objects.filter(invoice=OuterRef("pk"), rendered_at__lt=before))
    unsent = Invoice.objects.filter(drawn, emailed_at__isnull=True).exclude(buyer_email="")
    mails = list(unsent.order_by("id").values_list("id", flat=True)[:BATCH])
    for invoice_id in renders:
        enqueue_now("billing.tasks.invoice_render", invoice_id)
    for invoice_id in mails:
        enqueue_now("billing.tasks.invoice_mail", invoice_id)
    return Recovered(renders=len(renders), mails=len(mails))


@transaction.atomic(durable=True)
def invoice_render_retry(*, invoice_id: int, actor) -> bool:
    """Staff: draw a document whose render failed again (once the cause is mended). False
    when it had not failed (drawn meanwhile, or being drawn): nothing is sent."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.render_status != Invoice.Render.FAILED:
        return False
    error = invoice.render_error
    invoice.render_status = Invoice.Render.PENDING
    invoice.render_error = ""
    invoice.save(update_fields=["render_status", "render_error"])
    audit_record(
        actor=actor,
        action="invoice.render_retried",
        reseller=invoice.reseller,
        obj=invoice,
        data={"number": invoice.number, "error": error[:200]},
    )
    enqueue_on_commit("billing.tasks.invoice_render", invoice.pk)
    return True
