"""A real Celery worker on Redis draws, mails and exports invoices.

This test process is the web side: a bank transfer is credited here (its invoice issued in
the same transaction) and the render task goes to Redis on commit; `celery -A config worker`
in a subprocess, on the test database, draws the PDF/A-3b, stores it and sends the mail,
then builds the month's ZIP an accountant asks for.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceDocument, InvoiceExport
from billing.services.exports import invoice_export_create
from payments.gateways.base import PaymentStatus
from payments.models import Method
from payments.services.topups import Settlement, topup_create, topup_settle
from tests.celery_worker import (  # noqa: F401 - broker is a fixture
    broker,
    celery_worker,
    wait_until,
    worker_database_url,
    worker_log,
)
from tests.factories import MembershipFactory
from tests.payments.helpers import german_reseller

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_worker_draws_mails_and_exports_the_invoice_of_a_paid_top_up(broker):  # noqa: F811
    reseller = german_reseller(language="de")
    actor = MembershipFactory(reseller=reseller).user
    topup = topup_create(
        reseller=reseller, actor=actor, net="100.00", method=Method.BANK, form_key=str(uuid.uuid4())
    )
    env = {"CELERY_BROKER_URL": broker, "DATABASE_URL": worker_database_url()}
    with celery_worker(name="billing", env=env) as worker:
        topup_settle(  # commits: the invoice is issued, its render task sent to Redis
            topup_id=topup.pk,
            settlement=Settlement(
                source="statement", status=PaymentStatus.PAID, amount=topup.gross, currency="EUR"
            ),
        )
        invoice = Invoice.objects.get(source_key=f"topup:{topup.pk}")

        def mailed() -> bool:
            invoice.refresh_from_db()
            return invoice.emailed_at is not None

        if not wait_until(mailed, seconds=60):
            pytest.fail("the worker did not draw and mail the invoice:\n" + worker_log(worker))
        document = InvoiceDocument.objects.get(invoice=invoice)
        pdf = bytes(document.pdf)
        assert pdf.startswith(b"%PDF-") and invoice.render_status == Invoice.Render.READY
        assert hashlib.sha256(pdf).hexdigest() == invoice.pdf_sha256 == document.pdf_sha256

        export = invoice_export_create(reseller=reseller, month=timezone.localdate(), actor=actor)

        def built() -> bool:
            export.refresh_from_db()
            return export.status in (InvoiceExport.Status.READY, InvoiceExport.Status.FAILED)

        if not wait_until(built, seconds=60):
            pytest.fail("the worker did not build the export:\n" + worker_log(worker))
    assert export.status == InvoiceExport.Status.READY, export.error
    archive = zipfile.ZipFile(io.BytesIO(bytes(export.archive)))
    assert sorted(archive.namelist()) == sorted(
        [f"{invoice.number}.pdf", f"{invoice.number}.xml", "journal.csv"]
    )
    assert archive.read(f"{invoice.number}.pdf") == pdf
    assert (export.total, export.done) == (1, 1)
