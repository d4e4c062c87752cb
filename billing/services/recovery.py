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

from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.models import Invoice, InvoiceDocument
from core.queue import enqueue_now

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
