"""What the reseller's and the staff's invoice pages share: the detail page's context, the
file downloads, and the export pages. Each view module finds its objects through its own
selectors (the tenant's, or staff's) and passes them here."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from billing import selectors
from billing.labels import payment_method_label
from billing.models import Invoice, InvoiceDocument, InvoiceExport

CONTENT_TYPES = {"pdf": "application/pdf", "xml": "application/xml"}
EXPORTS_SHOWN = 20


def _download(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A file to save, never shown inline nor sniffed into something else; kept in no shared
    cache (the middleware makes it no-store for whoever is signed in)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def document_download(document: InvoiceDocument, which: str) -> HttpResponse:
    content = document.pdf if which == "pdf" else document.xml
    return _download(
        bytes(content),
        filename=f"{document.invoice.number}.{which}",
        content_type=CONTENT_TYPES[which],
    )


def document_ready(invoice: Invoice) -> bool:
    return bool(getattr(invoice, "has_document", False))


def invoice_page(request, invoice: Invoice, *, prefix: str, staff: bool = False):
    """The detail page, or (htmx polling while the files are being prepared) its document
    card alone. `prefix`: "billing:invoice-" or "billing:staff-invoice-"."""
    ready = document_ready(invoice)
    context = {
        "invoice": invoice,
        "ready": ready,
        "failed": not ready and invoice.render_status == Invoice.Render.FAILED,
        "detail_name": f"{prefix}detail",
        "pdf_url": reverse(f"{prefix}pdf", args=[invoice.pk]),
        "xml_url": reverse(f"{prefix}xml", args=[invoice.pk]),
        "poll_url": reverse(f"{prefix}detail", args=[invoice.pk]) + "?poll=1",
        "staff": staff,
    }
    if request.htmx and request.GET.get("poll"):
        return render(request, "billing/_invoice_document.html", context)
    lines = list(selectors.invoice_lines(invoice=invoice))
    context.update(
        lines=lines,
        vat_groups=selectors.invoice_vat_groups(lines),
        notes=invoice.legal_notes,
        payment_method=payment_method_label(invoice.payment_method),
        credit_notes=list(selectors.invoice_credit_notes(invoice=invoice)),
    )
    return render(request, "billing/invoice_detail.html", context)


def export_running(export: InvoiceExport) -> bool:
    return export.status in (InvoiceExport.Status.QUEUED, InvoiceExport.Status.RUNNING)


def export_page(request, export: InvoiceExport, *, staff: bool = False):
    prefix = "billing:staff-export-" if staff else "billing:export-"
    context = {
        "export": export,
        "running": export_running(export),
        "staff": staff,
        "list_url": reverse(f"{prefix}list"),
        "poll_url": reverse(f"{prefix}detail", args=[export.pk]) + "?poll=1",
        "download_url": reverse(f"{prefix}download", args=[export.pk]),
    }
    template = (
        "billing/_export_progress.html"
        if request.htmx and request.GET.get("poll")
        else "billing/export_detail.html"
    )
    return render(request, template, context)


def export_filename(export: InvoiceExport) -> str:
    who = export.reseller.slug if export.reseller_id else "all-resellers"
    return f"invoices-{who}-{export.month:%Y-%m}.zip"


def export_download(export: InvoiceExport) -> HttpResponse:
    return _download(
        bytes(export.archive), filename=export_filename(export), content_type="application/zip"
    )
