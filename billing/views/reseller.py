"""The reseller's invoices (Admin and Accountant, as the payments they document): the list,
one invoice with its files, and the month's ZIP for the accountant."""

from django.http import Http404
from django.shortcuts import redirect, render

from accounts.access import tenant_role_required
from accounts.models import Role
from billing import selectors
from billing.filters import InvoiceFilter
from billing.forms import ExportForm
from billing.models import Invoice, InvoiceDocument, InvoiceExport
from billing.services.exports import InvoiceExportError, invoice_export_create
from billing.tables import InvoiceTable
from billing.views.common import (
    EXPORTS_SHOWN,
    document_download,
    export_download,
    export_page,
    invoice_page,
)
from core.errors import show_error
from core.ui import filtered, paginated

SEES = (Role.ADMIN, Role.ACCOUNTANT)


def _invoice(request, pk: int) -> Invoice:
    try:
        return selectors.invoice_get(reseller=request.reseller, pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None


def _document(request, pk: int) -> InvoiceDocument:
    """The files of the reseller's invoice; 404 for another tenant's and until rendered."""
    try:
        return selectors.invoice_document_get(reseller=request.reseller, pk=pk)
    except InvoiceDocument.DoesNotExist:
        raise Http404 from None


@tenant_role_required(*SEES, applicants=True)
def invoice_list(request):
    rows = selectors.invoice_list(reseller=request.reseller)
    filterset = InvoiceFilter(request.GET, queryset=rows)
    table = paginated(request, InvoiceTable(filtered(filterset)))
    return render(request, "billing/invoice_list.html", {"table": table, "filter": filterset})


@tenant_role_required(*SEES, applicants=True)
def invoice_detail(request, pk: int):
    return invoice_page(request, _invoice(request, pk), prefix="billing:invoice-")


@tenant_role_required(*SEES, applicants=True)
def invoice_pdf(request, pk: int):
    return document_download(_document(request, pk), "pdf")


@tenant_role_required(*SEES, applicants=True)
def invoice_xml(request, pk: int):
    return document_download(_document(request, pk), "xml")


def _exports_page(request, form, status=200):
    exports = selectors.export_list(reseller=request.reseller)[:EXPORTS_SHOWN]
    return render(
        request,
        "billing/export_list.html",
        {"form": form, "exports": exports, "staff": False},
        status=status,
    )


@tenant_role_required(*SEES, applicants=True)
def export_list(request):
    """The recent exports, and the form asking for a month's (POST: then its progress)."""
    if request.method != "POST":
        month = selectors.export_month_suggested(reseller=request.reseller)
        return _exports_page(request, ExportForm(month=month))
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _exports_page(request, form, status=400)
    try:
        export = invoice_export_create(
            reseller=request.reseller, month=form.cleaned_data["month"], actor=request.user
        )
    except InvoiceExportError as exc:
        show_error(request, exc, form)
        return _exports_page(request, form, status=400)
    return redirect("billing:export-detail", pk=export.pk)


@tenant_role_required(*SEES, applicants=True)
def export_detail(request, pk: int):
    try:
        export = selectors.export_get(reseller=request.reseller, pk=pk)
    except InvoiceExport.DoesNotExist:
        raise Http404 from None
    return export_page(request, export)


@tenant_role_required(*SEES, applicants=True)
def export_download_view(request, pk: int):
    try:
        export = selectors.export_archive_get(reseller=request.reseller, pk=pk)
    except InvoiceExport.DoesNotExist:
        raise Http404 from None
    if export.status != InvoiceExport.Status.READY:
        raise Http404
    return export_download(export)
