"""Operator staff: every reseller's invoices and credit notes, and month exports of every
reseller or of one."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required
from billing import selectors
from billing.filters import StaffInvoiceFilter
from billing.forms import StaffExportForm
from billing.models import Invoice, InvoiceDocument, InvoiceExport
from billing.services.exports import InvoiceExportError, invoice_export_create
from billing.services.recovery import invoice_render_retry
from billing.tables import StaffInvoiceTable
from billing.views.common import (
    EXPORTS_SHOWN,
    document_download,
    export_download,
    export_page,
    invoice_page,
)
from core.errors import show_error
from core.ui import filtered, paginated


@require_POST
@operator_staff_required
def staff_invoice_render(request, pk: int):
    """Draw a failed document again (after the cause was mended)."""
    try:
        invoice = selectors.staff_invoice_get(pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None
    if invoice_render_retry(invoice_id=invoice.pk, actor=request.user):
        messages.success(request, _("The document is being prepared again."))
    else:
        messages.info(request, _("This document had not failed: there is nothing to redo."))
    return redirect("billing:staff-invoice-detail", pk=invoice.pk)


def _document(pk: int) -> InvoiceDocument:
    try:
        return selectors.staff_invoice_document_get(pk=pk)
    except InvoiceDocument.DoesNotExist:
        raise Http404 from None


@operator_staff_required
def staff_invoice_list(request):
    filterset = StaffInvoiceFilter(request.GET, queryset=selectors.staff_invoice_list())
    table = paginated(request, StaffInvoiceTable(filtered(filterset)))
    return render(request, "billing/staff_invoice_list.html", {"table": table, "filter": filterset})


@operator_staff_required
def staff_invoice_detail(request, pk: int):
    try:
        invoice = selectors.staff_invoice_get(pk=pk)
    except Invoice.DoesNotExist:
        raise Http404 from None
    return invoice_page(request, invoice, prefix="billing:staff-invoice-", staff=True)


@operator_staff_required
def staff_invoice_pdf(request, pk: int):
    return document_download(_document(pk), "pdf")


@operator_staff_required
def staff_invoice_xml(request, pk: int):
    return document_download(_document(pk), "xml")


def _exports_page(request, form, status=200):
    return render(
        request,
        "billing/export_list.html",
        {"form": form, "exports": selectors.staff_export_list()[:EXPORTS_SHOWN], "staff": True},
        status=status,
    )


@operator_staff_required
def staff_export_list(request):
    resellers = selectors.staff_invoice_resellers().order_by("name")
    if request.method != "POST":
        month = selectors.export_month_suggested(reseller=None)
        return _exports_page(request, StaffExportForm(resellers=resellers, month=month))
    form = StaffExportForm(request.POST, resellers=resellers)
    if not form.is_valid():
        return _exports_page(request, form, status=400)
    try:
        export = invoice_export_create(
            reseller=form.cleaned_data["reseller"],
            month=form.cleaned_data["month"],
            actor=request.user,
        )
    except InvoiceExportError as exc:
        show_error(request, exc, form)
        return _exports_page(request, form, status=400)
    return redirect("billing:staff-export-detail", pk=export.pk)


@operator_staff_required
def staff_export_detail(request, pk: int):
    try:
        export = selectors.staff_export_get(pk=pk)
    except InvoiceExport.DoesNotExist:
        raise Http404 from None
    return export_page(request, export, staff=True)


@operator_staff_required
def staff_export_download(request, pk: int):
    try:
        export = selectors.staff_export_archive_get(pk=pk)
    except InvoiceExport.DoesNotExist:
        raise Http404 from None
    if export.status != InvoiceExport.Status.READY:
        raise Http404
    return export_download(export)
