"""A month of invoices and credit notes as one ZIP for the accountant.

`invoice_export_create` records the request (one at a time per reseller and month: asking
again while one is queued or being built returns that one) and the task
`billing.tasks.invoice_export_build` builds it after commit: for every invoice and credit note
issued in the month, `<number>.pdf` and `<number>.xml` (a document not rendered yet is
rendered first), and `journal.csv`, one row per document. Its progress (`done` of `total`)
is saved every PROGRESS_EVERY documents, outside any transaction, so the page polling it
moves while it runs.

The journal is written for Excel as German and Polish accountants open it by double-click:
UTF-8 with a byte order mark (without one Excel reads the file as Windows-1252 and breaks
"ł", "ö", "€"), semicolons between the cells (the list separator of those locales, where the
comma is the decimal sign), amounts with a decimal comma and no thousands separator, dates as
ISO 2026-11-30. Credit notes count negative.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import logging
import zipfile
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from billing import selectors
from billing.labels import payment_method_label
from billing.models import Invoice, InvoiceDocument, InvoiceExport
from billing.services.documents import invoice_render
from core.errors import CodedError
from core.exports import cell_safe
from core.queue import enqueue_on_commit
from resellers.models import Reseller
from tax.treatment import TREATMENT_LABELS, Treatment

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 10
JOURNAL = "journal.csv"
BOM = "\ufeff"


class InvoiceExportError(CodedError):
    code = "invoice-export"
    message = gettext_lazy("This export cannot be made.")
    messages = {
        "month-in-future": gettext_lazy(
            "This month has not begun yet. Choose the current month or an earlier one."
        ),
    }
    fields = {"month-in-future": "month"}


def _lock(reseller: Reseller | None, month: datetime.date) -> None:
    """One request at a time per reseller (or the operator's all-reseller export) and month,
    so two clicks cannot both find nothing pending and queue two builds. (SQLite, the
    embedded default, lets one writer at a time through anyway.)"""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [reseller.pk if reseller is not None else 0, month.year * 100 + month.month],
        )


def invoice_export_create(
    *, reseller: Reseller | None, month: datetime.date, actor
) -> InvoiceExport:
    """Ask for the ZIP of `month` (any day of it) of `reseller`, or of every reseller (None,
    operator staff). A month that has not begun is refused; while an export of the same
    reseller and month is queued or being built, that one is returned."""
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise InvoiceExportError("month-in-future")
    with transaction.atomic(durable=True):
        _lock(reseller, month)
        pending = selectors.export_pending(reseller=reseller, month=month)
        if pending is not None:
            return pending
        export = InvoiceExport.objects.create(reseller=reseller, month=month, requested_by=actor)
        audit_record(
            actor=actor,
            action="invoice_export.requested",
            reseller=reseller,
            obj=export,
            data={"month": f"{month:%Y-%m}", "all_resellers": reseller is None},
        )
        enqueue_on_commit("billing.tasks.invoice_export_build", export.pk)
    return export


def _start(export_id: int) -> InvoiceExport | None:
    """Mark the export running (again, after a crash); None when it is finished already."""
    with transaction.atomic(durable=True):
        export = InvoiceExport.objects.select_for_update().defer("archive").get(pk=export_id)
        if export.status in (InvoiceExport.Status.READY, InvoiceExport.Status.FAILED):
            return None
        export.status = InvoiceExport.Status.RUNNING
        export.total = selectors.export_invoices(export=export).count()
        export.done = 0
        export.save(update_fields=["status", "total", "done"])
    return export


def _document(invoice: Invoice) -> InvoiceDocument:
    document = InvoiceDocument.objects.filter(invoice_id=invoice.pk).first()
    if document is None:
        invoice_render(invoice_id=invoice.pk)
        document = InvoiceDocument.objects.get(invoice_id=invoice.pk)
    return document


def invoice_export_build(*, export_id: int) -> InvoiceExport:
    """Build the export's ZIP, saving progress as it goes; a failure is kept on the export
    (status failed, with a short reason) for the page to show."""
    export = _start(export_id)
    if export is None:
        return InvoiceExport.objects.defer("archive").get(pk=export_id)
    try:
        archive = _archive(export)
    except Exception as exc:  # any failure ends the build; the page shows it, staff see the log
        logger.exception("invoice export %s failed", export_id)
        InvoiceExport.objects.filter(pk=export_id).update(
            status=InvoiceExport.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:300],
            finished_at=timezone.now(),
        )
    else:
        InvoiceExport.objects.filter(pk=export_id).update(
            status=InvoiceExport.Status.READY,
            archive=archive,
            sha256=hashlib.sha256(archive).hexdigest(),
            done=export.total,
            finished_at=timezone.now(),
        )
    return InvoiceExport.objects.defer("archive").get(pk=export_id)


def _archive(export: InvoiceExport) -> bytes:
    buffer = io.BytesIO()
    rows = []
    invoices = selectors.export_invoices(export=export).prefetch_related("lines")
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        translation.override(_language(export)),
    ):
        for done, invoice in enumerate(invoices, start=1):
            document = _document(invoice)
            archive.writestr(f"{invoice.number}.pdf", bytes(document.pdf))
            archive.writestr(f"{invoice.number}.xml", bytes(document.xml))
            rows.append(journal_row(invoice, pdf_sha256=document.pdf_sha256))
            if done % PROGRESS_EVERY == 0:
                InvoiceExport.objects.filter(pk=export.pk).update(done=done)
        archive.writestr(JOURNAL, journal_csv(rows))
    return buffer.getvalue()


def _language(export: InvoiceExport) -> str:
    person = export.requested_by
    return (getattr(person, "language", "") if person else "") or settings.LANGUAGE_CODE


# --- The journal ------------------------------------------------------------------------------


def amount_text(value: Decimal) -> str:
    """12.50 → "12,50", -3 → "-3,00": what Excel in de/pl reads as a number."""
    return f"{value:.2f}".replace(".", ",")


def _rates(invoice: Invoice) -> str:
    rates = sorted({line.vat_rate for line in invoice.lines.all()}, reverse=True)
    return " / ".join(f"{rate.normalize():f}".replace(".", ",") for rate in rates)


def journal_header() -> list[str]:
    return [
        _("Number"),
        _("Kind"),
        _("Issue date"),
        _("Date of supply"),
        _("Buyer"),
        _("Buyer country"),
        _("Buyer VAT ID"),
        _("VAT treatment"),
        _("Currency"),
        _("Net"),
        _("VAT rate (%)"),
        _("VAT"),
        _("Gross"),
        _("Payment"),
        _("Payment method"),
        _("Payment reference"),
        _("Corrects invoice"),
        _("SHA-256 of the PDF"),
    ]


def journal_row(invoice: Invoice, *, pdf_sha256: str) -> list:
    """One journal row: texts and dates as they are, amounts signed (a credit note is
    negative) and kept as Decimal until the CSV writes them."""
    sign = invoice.sign
    return [
        invoice.number,
        invoice.get_kind_display(),
        invoice.issue_date,
        invoice.supply_date,
        invoice.buyer_name,
        invoice.buyer_country,
        invoice.buyer_vat_id,
        treatment_label(invoice.treatment),
        invoice.currency,
        sign * invoice.total_net,
        _rates(invoice),
        sign * invoice.total_vat,
        sign * invoice.total_gross,
        invoice.get_shown_payment_display(),
        payment_method_label(invoice.payment_method),
        invoice.payment_reference,
        invoice.credited_invoice.number if invoice.credited_invoice_id else "",
        pdf_sha256,
    ]


def treatment_label(treatment: str) -> str:
    try:
        return str(TREATMENT_LABELS[Treatment(treatment)])
    except ValueError:
        return treatment


def _cell(value) -> str:
    if isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(cell_safe(value))


def journal_csv(rows: list[list]) -> bytes:
    """The journal (header in the current language) as Excel in de/pl opens it: BOM,
    semicolons, decimal commas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(journal_header())
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return (BOM + out.getvalue()).encode("utf-8")
