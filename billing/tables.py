import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice
from core.money import money_display
from core.ui import DateTimeText

PAYMENT_BADGE = {
    Invoice.Payment.PAID: "text-bg-success",
    Invoice.Payment.OPEN: "text-bg-light border",
    Invoice.Payment.OVERDUE: "text-bg-danger",
}


def payment_badge(invoice: Invoice) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        PAYMENT_BADGE.get(invoice.shown_payment, "text-bg-secondary"),
        invoice.get_shown_payment_display(),
    )


def document_text(invoice: Invoice) -> str:
    """Ready once the files exist (`has_document`, billing.selectors), else how rendering
    stands: being prepared, or failed."""
    if getattr(invoice, "has_document", False):
        return str(Invoice.Render.READY.label)
    if invoice.render_status == Invoice.Render.FAILED:
        return str(Invoice.Render.FAILED.label)
    return str(Invoice.Render.PENDING.label)


class _MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-end text-nowrap"}})
        super().__init__(*args, **kwargs)

    def render(self, record, value):
        return money_display(value, record.currency)


class InvoiceTable(tables.Table):
    detail_url = "billing:invoice-detail"

    number = tables.Column(verbose_name=_("Number"), attrs={"td": {"class": "text-nowrap"}})
    kind = tables.Column(verbose_name=_("Kind"))
    issue_date = DateTimeText(
        format="Y-m-d", verbose_name=_("Issue date"), attrs={"td": {"class": "text-nowrap"}}
    )
    buyer_name = tables.Column(verbose_name=_("Buyer"))
    total_net = _MoneyColumn(verbose_name=_("Net"))
    total_vat = _MoneyColumn(verbose_name=_("VAT"))
    total_gross = _MoneyColumn(verbose_name=_("Gross"))
    payment = tables.Column(
        verbose_name=_("Payment"), accessor="payment_status", order_by=("payment_status",)
    )
    document = tables.Column(verbose_name=_("Document"), accessor="pk", orderable=False)

    class Meta:
        model = Invoice
        fields = (
            "number",
            "kind",
            "issue_date",
            "buyer_name",
            "total_net",
            "total_vat",
            "total_gross",
            "payment",
            "document",
        )
        order_by = ("-issue_date",)
        empty_text = _("No invoices yet.")

    def render_number(self, record, value):
        url = reverse(self.detail_url, args=[record.pk])
        return format_html('<a href="{}" class="font-monospace">{}</a>', url, value)

    def render_kind(self, record):
        return record.get_kind_display()

    def render_payment(self, record):
        return payment_badge(record)

    def render_document(self, record):
        return document_text(record)


class StaffInvoiceTable(InvoiceTable):
    detail_url = "billing:staff-invoice-detail"

    reseller = tables.Column(order_by=("reseller__name",), verbose_name=_("Reseller"))

    class Meta(InvoiceTable.Meta):
        sequence = (
            "number",
            "kind",
            "issue_date",
            "reseller",
            "buyer_name",
            "total_net",
            "total_vat",
            "total_gross",
            "payment",
            "document",
        )
        fields = sequence

    def render_reseller(self, record):
        return record.reseller.name
