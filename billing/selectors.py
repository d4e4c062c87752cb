"""Reads on invoices, credit notes, their documents and the month exports.

Tenant reads take the reseller first and find only that reseller's rows: another tenant's id
raises DoesNotExist (the views answer 404). Staff reads say so in their name and see every
reseller; an operator's export of every reseller (reseller empty) is only ever a staff read.
Lists never load the rendered files (they live in InvoiceDocument) nor an export's archive.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from billing.models import Invoice, InvoiceDocument, InvoiceExport, InvoiceLine
from resellers.models import Reseller


def _with_document(rows: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """`has_document`: the files are rendered (one subquery, never the files themselves)."""
    documents = InvoiceDocument.objects.filter(invoice=OuterRef("pk"))
    return rows.annotate(has_document=Exists(documents))


def invoices_by_payment(rows: QuerySet[Invoice], status: str) -> QuerySet[Invoice]:
    """paid / open / overdue as Invoice.shown_payment tells them apart: an open invoice is
    overdue once its due date has passed."""
    today = timezone.localdate()
    if status == Invoice.Payment.PAID:
        return rows.filter(payment_status=Invoice.Payment.PAID)
    if status == Invoice.Payment.OPEN:
        return rows.filter(payment_status=Invoice.Payment.OPEN, due_date__gte=today)
    if status == Invoice.Payment.OVERDUE:
        return rows.filter(payment_status=Invoice.Payment.OPEN, due_date__lt=today)
    return rows


def invoices_matching(rows: QuerySet[Invoice], text: str) -> QuerySet[Invoice]:
    """Number, buyer name or payment reference containing `text`."""
    text = (text or "").strip()
    if not text:
        return rows
    return rows.filter(
        Q(number__icontains=text)
        | Q(buyer_name__icontains=text)
        | Q(payment_reference__icontains=text)
    )


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of `month`'s month."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def _filtered(
    rows: QuerySet[Invoice],
    *,
    status: str = "",
    kind: str = "",
    month: datetime.date | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    search: str = "",
) -> QuerySet[Invoice]:
    if status:
        rows = invoices_by_payment(rows, status)
    if kind:
        rows = rows.filter(kind=kind)
    if month is not None:
        first, last = month_bounds(month)
        rows = rows.filter(issue_date__range=(first, last))
    if date_from is not None:
        rows = rows.filter(issue_date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(issue_date__lte=date_to)
    return invoices_matching(rows, search)


def invoice_list(*, reseller: Reseller, **filters) -> QuerySet[Invoice]:
    """The reseller's invoices and credit notes, newest first; `filters`: status (paid, open,
    overdue), kind, month, date_from, date_to (issue date), search."""
    rows = Invoice.objects.filter(reseller=reseller)
    return _with_document(_filtered(rows, **filters))


def invoice_get(*, reseller: Reseller, pk: int) -> Invoice:
    """The reseller's invoice; DoesNotExist for another tenant's id."""
    return invoice_list(reseller=reseller).select_related("credited_invoice").get(pk=pk)


def invoice_document_get(*, reseller: Reseller, pk: int) -> InvoiceDocument:
    """The rendered files of the reseller's invoice `pk`; DoesNotExist for another tenant's
    invoice and while the files are being prepared."""
    return InvoiceDocument.objects.select_related("invoice").get(
        invoice__pk=pk, invoice__reseller=reseller
    )


def staff_invoice_list(*, reseller: Reseller | None = None, **filters) -> QuerySet[Invoice]:
    """Every reseller's invoices and credit notes (or one reseller's), with the reseller."""
    rows = Invoice.objects.select_related("reseller")
    if reseller is not None:
        rows = rows.filter(reseller=reseller)
    return _with_document(_filtered(rows, **filters))


def staff_invoice_get(*, pk: int) -> Invoice:
    return staff_invoice_list().select_related("credited_invoice").get(pk=pk)


def staff_invoice_document_get(*, pk: int) -> InvoiceDocument:
    return InvoiceDocument.objects.select_related("invoice").get(invoice__pk=pk)


def staff_invoice_resellers() -> QuerySet[Reseller]:
    """The resellers that have invoices (the staff pages' reseller choice)."""
    return Reseller.objects.filter(Exists(Invoice.objects.filter(reseller=OuterRef("pk"))))


def invoice_lines(*, invoice: Invoice) -> QuerySet[InvoiceLine]:
    return invoice.lines.order_by("position")


def invoice_credit_notes(*, invoice: Invoice) -> QuerySet[Invoice]:
    """The credit notes that correct `invoice` (of the same reseller, as it is)."""
    return Invoice.objects.filter(credited_invoice=invoice, reseller_id=invoice.reseller_id)


@dataclass(frozen=True)
class VatGroup:
    category: str
    label: str
    rate: Decimal
    net: Decimal
    vat: Decimal


def invoice_vat_groups(lines) -> list[VatGroup]:
    """The VAT breakdown of an invoice: net and VAT per category and rate."""
    sums: dict[tuple[str, Decimal], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in lines:
        pair = sums[(line.vat_category, line.vat_rate)]
        pair[0] += line.net
        pair[1] += line.vat
    return [
        VatGroup(
            category=category,
            label=str(InvoiceLine.Category(category).label),
            rate=rate,
            net=net,
            vat=vat,
        )
        for (category, rate), (net, vat) in sorted(sums.items(), key=lambda item: -item[0][1])
    ]


# --- Month exports ---------------------------------------------------------------------------


def export_list(*, reseller: Reseller) -> QuerySet[InvoiceExport]:
    """The reseller's own exports, newest first (never an operator's export of everyone)."""
    return (
        InvoiceExport.objects.filter(reseller=reseller)
        .select_related("requested_by")
        .defer("archive")
    )


def export_get(*, reseller: Reseller, pk: int) -> InvoiceExport:
    return export_list(reseller=reseller).get(pk=pk)


def export_archive_get(*, reseller: Reseller, pk: int) -> InvoiceExport:
    """The reseller's export with its ZIP; DoesNotExist for another tenant's id."""
    return InvoiceExport.objects.get(reseller=reseller, pk=pk)


def staff_export_list() -> QuerySet[InvoiceExport]:
    return InvoiceExport.objects.select_related("reseller", "requested_by").defer("archive")


def staff_export_get(*, pk: int) -> InvoiceExport:
    return staff_export_list().get(pk=pk)


def staff_export_archive_get(*, pk: int) -> InvoiceExport:
    return InvoiceExport.objects.select_related("reseller").get(pk=pk)


# A queued or running export older than this is taken for lost (its task never reached a
# worker, the broker being down when it was sent): asking again starts a new one.
EXPORT_STALE_AFTER = datetime.timedelta(minutes=30)


def export_month_suggested(*, reseller: Reseller | None) -> datetime.date:
    """The month the export form offers: last month (the one an accountant closes), unless
    it has no documents and this month has (a new reseller's first month)."""
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    rows = Invoice.objects.filter(issue_date__gte=last_month)
    if reseller is not None:
        rows = rows.filter(reseller=reseller)
    months = set(rows.dates("issue_date", "month"))
    return this_month if last_month not in months and this_month in months else last_month


def export_pending(*, reseller: Reseller | None, month: datetime.date) -> InvoiceExport | None:
    """The export of `reseller` (None: every reseller) and month that is queued or being
    built (and not lost), if any."""
    return (
        InvoiceExport.objects.filter(
            reseller=reseller,
            month=month,
            status__in=(InvoiceExport.Status.QUEUED, InvoiceExport.Status.RUNNING),
            created_at__gte=timezone.now() - EXPORT_STALE_AFTER,
        )
        .defer("archive")
        .first()
    )


def export_invoices(*, export: InvoiceExport) -> QuerySet[Invoice]:
    """The invoices and credit notes an export holds: issued in its month, of its reseller
    (every reseller for an operator's export), in the order of their numbers."""
    first, last = month_bounds(export.month)
    rows = Invoice.objects.filter(issue_date__range=(first, last))
    if export.reseller_id is not None:
        rows = rows.filter(reseller_id=export.reseller_id)
    return rows.select_related("credited_invoice").order_by("issue_date", "kind", "number", "id")
