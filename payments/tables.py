import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from core.money import money_display
from core.ui import DateTimeText
from payments.models import (
    CustomerPayment,
    PaymentEvent,
    Payout,
    PayoutBatch,
    PaypalIpn,
    StatementLine,
    TopUp,
)

STATUS_BADGE = {
    TopUp.Status.CREATED: "text-bg-light border",
    TopUp.Status.PENDING: "text-bg-warning",
    TopUp.Status.PAID: "text-bg-success",
    TopUp.Status.FAILED: "text-bg-danger",
    TopUp.Status.EXPIRED: "text-bg-secondary",
    TopUp.Status.REFUNDED: "text-bg-info",
}


def status_badge(topup: TopUp) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGE.get(topup.status, "text-bg-secondary"),
        topup.get_status_display(),
    )


class _MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-end text-nowrap"}})
        super().__init__(*args, **kwargs)

    def render(self, record, value):
        return money_display(value, record.currency)


class TopUpTable(tables.Table):
    reference = tables.Column(verbose_name=_("Reference"))
    created_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Date"))
    method = tables.Column(verbose_name=_("Method"))
    net = _MoneyColumn(verbose_name=_("Credit"))
    gross = _MoneyColumn(verbose_name=_("Gross"))
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = TopUp
        fields = ("reference", "created_at", "method", "net", "gross", "status")
        order_by = ("-created_at",)
        empty_text = _("No payments yet.")

    def render_reference(self, record, value):
        url = reverse("payments:topup-detail", args=[record.pk])
        return format_html('<a href="{}" class="font-monospace">{}</a>', url, value)

    def render_method(self, record):
        return record.get_method_display()

    def render_status(self, record):
        return status_badge(record)


class StaffTopUpTable(TopUpTable):
    reseller = tables.Column(order_by=("reseller__name",), verbose_name=_("Reseller"))
    attention = tables.Column(verbose_name=_("Needs attention"), orderable=False)

    class Meta(TopUpTable.Meta):
        fields = ("reference", "created_at", "reseller", "method", "net", "gross", "status")
        sequence = (
            "reference",
            "created_at",
            "reseller",
            "method",
            "net",
            "gross",
            "status",
            "attention",
        )

    def render_reference(self, record, value):
        url = reverse("payments:staff-topup-detail", args=[record.pk])
        return format_html('<a href="{}" class="font-monospace">{}</a>', url, value)

    def render_attention(self, value):
        return value or "—"


class RejectedEventTable(tables.Table):
    received_at = DateTimeText(format="Y-m-d H:i:s", verbose_name=_("Received"))
    provider = tables.Column(verbose_name=_("Provider"))
    failed_check = tables.Column(verbose_name=_("Check failed"))
    event_type = tables.Column(verbose_name=_("Type"))
    topup = tables.Column(verbose_name=_("Top-up"), orderable=False)
    amount = tables.Column(verbose_name=_("Amount"), attrs={"td": {"class": "text-end"}})
    detail = tables.Column(verbose_name=_("What was received"), orderable=False)

    class Meta:
        model = PaymentEvent
        fields = (
            "received_at",
            "provider",
            "failed_check",
            "event_type",
            "topup",
            "amount",
            "detail",
        )
        order_by = ("-received_at",)
        empty_text = _("No event failed a check.")

    def render_provider(self, record):
        return record.get_provider_display()

    def render_event_type(self, record):
        return record.type_label or "—"

    def render_failed_check(self, record):
        return record.get_failed_check_display()

    def render_topup(self, record):
        if record.topup_id is None:
            return "—"
        url = reverse("payments:staff-topup-detail", args=[record.topup_id])
        return format_html('<a href="{}">{}</a>', url, record.topup.reference)

    def render_amount(self, record):
        if record.amount is None:
            return "—"
        return money_display(record.amount, record.currency) if record.currency else record.amount

    def render_detail(self, record):
        text = record.detail or str(record.payload.get("body", ""))[:120]
        return text or "—"


class StatementLineTable(tables.Table):
    booking_date = DateTimeText(format="Y-m-d", verbose_name=_("Booked"))
    amount = tables.Column(verbose_name=_("Amount"), attrs={"td": {"class": "text-end"}})
    payer_name = tables.Column(verbose_name=_("Payer"))
    remittance = tables.Column(verbose_name=_("Remittance information"))
    status = tables.Column(verbose_name=_("Why it waits"))
    candidate = tables.Column(verbose_name=_("Suggested top-up"), orderable=False)
    action = tables.Column(verbose_name=_("Action"), accessor="pk", orderable=False)

    class Meta:
        model = StatementLine
        fields = ("booking_date", "amount", "payer_name", "remittance", "status", "candidate")
        empty_text = _("Nothing to assign: every line found its top-up.")

    def render_amount(self, record):
        return money_display(record.amount, record.currency)

    def render_status(self, record):
        return record.get_status_display()

    def render_candidate(self, record):
        if record.candidate_id is None:
            return "—"
        return format_html(
            '<span class="font-monospace">{}</span> ({}, {})',
            record.candidate.reference,
            record.candidate.reseller.name,
            money_display(record.candidate.gross, record.candidate.currency),
        )

    def render_action(self, record):
        url = reverse("payments:staff-statement-line", args=[record.pk])
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}">{}</a>', url, _("Assign")
        )


PAYOUT_BADGE = {
    Payout.Status.REQUESTED: "text-bg-warning",
    Payout.Status.APPROVED: "text-bg-info",
    Payout.Status.REJECTED: "text-bg-danger",
    Payout.Status.EXPORTED: "text-bg-primary",
    Payout.Status.PAID: "text-bg-success",
}


def payout_badge(payout: Payout) -> str:
    return format_html(
        '<span class="badge {}" data-testid="payout-status-{}">{}</span>',
        PAYOUT_BADGE.get(payout.status, "text-bg-secondary"),
        payout.pk,
        payout.get_status_display(),
    )


class PayoutTable(tables.Table):
    reference = tables.Column(verbose_name=_("Payout"), accessor="pk")
    created_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Requested"))
    amount = _MoneyColumn(verbose_name=_("Amount"))
    iban = tables.Column(verbose_name="IBAN", orderable=False)
    status = tables.Column(verbose_name=_("Status"))
    changed = tables.Column(verbose_name=_("Last change"), accessor="updated_at")

    detail_url = "payments:payout-detail"

    class Meta:
        model = Payout
        fields = ("reference", "created_at", "amount", "iban", "status", "changed")
        order_by = ("-created_at",)
        empty_text = _("No payouts yet.")

    def render_reference(self, record):
        url = reverse(self.detail_url, args=[record.pk])
        return format_html('<a href="{}" class="font-monospace">{}</a>', url, record.reference)

    def render_iban(self, record):
        return format_html('<span class="font-monospace text-nowrap">…{}</span>', record.iban[-4:])

    def render_status(self, record):
        return payout_badge(record)

    def render_changed(self, record):
        when = record.paid_at or record.exported_at or record.decided_at or record.created_at
        return date_format(localtime(when), "Y-m-d H:i")


class StaffPayoutTable(PayoutTable):
    reseller = tables.Column(order_by=("reseller__name",), verbose_name=_("Reseller"))
    holder = tables.Column(verbose_name=_("Account holder"))

    detail_url = "payments:staff-payout-detail"

    class Meta(PayoutTable.Meta):
        fields = ("reference", "created_at", "reseller", "holder", "amount", "iban", "status")
        sequence = (
            "reference",
            "created_at",
            "reseller",
            "holder",
            "amount",
            "iban",
            "status",
            "changed",
        )
        empty_text = _("No payouts.")


class PayoutBatchTable(tables.Table):
    message_id = tables.Column(verbose_name=_("File"))
    created_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Exported"))
    count = tables.Column(verbose_name=_("Transfers"), attrs={"td": {"class": "text-end"}})
    control_sum = _MoneyColumn(verbose_name=_("Total"))
    status = tables.Column(verbose_name=_("Status"))
    created_by = tables.Column(verbose_name=_("Exported by"), orderable=False)

    class Meta:
        model = PayoutBatch
        fields = ("message_id", "created_at", "count", "control_sum", "status", "created_by")
        order_by = ("-created_at",)
        empty_text = _("No SEPA files exported yet.")

    def render_message_id(self, record, value):
        url = reverse("payments:staff-payout-batch-detail", args=[record.pk])
        return format_html('<a href="{}" class="font-monospace">{}</a>', url, value)

    def render_status(self, record):
        css = "text-bg-success" if record.status == PayoutBatch.Status.CONFIRMED else "text-bg-info"
        return format_html('<span class="badge {}">{}</span>', css, record.get_status_display())


class StaffCustomerCardTable(tables.Table):
    """Customers' card payments that need a person (payments.services.customer_card)."""

    reference = tables.Column(verbose_name=_("Order"), orderable=False)
    created_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Created"), orderable=False)
    reseller = tables.Column(verbose_name=_("Reseller"), orderable=False)
    customer = tables.Column(
        accessor="customer__phone", verbose_name=_("Customer"), orderable=False
    )
    amount = _MoneyColumn(verbose_name=_("Amount"), orderable=False)
    status = tables.Column(verbose_name=_("Status"), orderable=False)
    attention = tables.Column(verbose_name=_("Needs attention"), orderable=False)

    class Meta:
        model = CustomerPayment
        fields = ("reference", "created_at", "reseller", "customer", "amount", "status")
        sequence = (
            "reference",
            "created_at",
            "reseller",
            "customer",
            "amount",
            "status",
            "attention",
        )
        empty_text = _("No card payment needs attention.")

    def render_reference(self, value):
        return format_html('<span class="font-monospace">{}</span>', value)

    def render_status(self, record):
        return record.get_status_display()

    def render_attention(self, value):
        return value or "—"


CUSTOMER_PAYMENT_BADGE = {
    CustomerPayment.Status.CREATED: "text-bg-light border",
    CustomerPayment.Status.PENDING: "text-bg-warning",
    CustomerPayment.Status.PAID: "text-bg-info",
    CustomerPayment.Status.NEEDS_FUNDS: "text-bg-warning",
    CustomerPayment.Status.CREDITED: "text-bg-success",
    CustomerPayment.Status.REVERSED: "text-bg-secondary",
    CustomerPayment.Status.FLAGGED: "text-bg-danger",
    CustomerPayment.Status.EXPIRED: "text-bg-secondary",
}


def customer_payment_badge(payment: CustomerPayment) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        CUSTOMER_PAYMENT_BADGE.get(payment.status, "text-bg-secondary"),
        payment.get_status_display(),
    )


class CustomerPaymentTable(tables.Table):
    reference = tables.Column(verbose_name=_("Order"))
    created_at = DateTimeText(format="Y-m-d H:i", verbose_name=_("Date"))
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="customer__phone", order_by=("customer__phone",)
    )
    provider = tables.Column(verbose_name=_("Paid with"))
    amount = _MoneyColumn(verbose_name=_("Amount"))
    status = tables.Column(verbose_name=_("Status"))

    detail_url = "payments:customer-payment-detail"

    class Meta:
        model = CustomerPayment
        fields = ("reference", "created_at", "customer", "provider", "amount", "status")
        order_by = ("-created_at",)
        empty_text = _("No customer payments yet.")

    def render_reference(self, record, value):
        url = reverse(self.detail_url, args=[record.pk])
        return format_html('<a href="{}" class="font-monospace">{}</a>', url, value)

    def render_provider(self, record):
        return record.get_provider_display()

    def render_status(self, record):
        return customer_payment_badge(record)


class StaffCustomerPaymentTable(CustomerPaymentTable):
    reseller = tables.Column(order_by=("reseller__name",), verbose_name=_("Reseller"))

    detail_url = "payments:staff-customer-payment-detail"

    class Meta(CustomerPaymentTable.Meta):
        fields = ("reference", "created_at", "reseller", "customer", "provider", "amount")
        sequence = (
            "reference",
            "created_at",
            "reseller",
            "customer",
            "provider",
            "amount",
            "status",
        )


IPN_OUTCOME_BADGE = {
    PaypalIpn.Outcome.PENDING: "text-bg-light border",
    PaypalIpn.Outcome.APPLIED: "text-bg-success",
    PaypalIpn.Outcome.DUPLICATE: "text-bg-secondary",
    PaypalIpn.Outcome.REJECTED: "text-bg-danger",
    PaypalIpn.Outcome.IGNORED: "text-bg-secondary",
    PaypalIpn.Outcome.RECORDED: "text-bg-info",
}


def ipn_outcome_badge(ipn: PaypalIpn) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        IPN_OUTCOME_BADGE.get(ipn.outcome, "text-bg-secondary"),
        ipn.get_outcome_display(),
    )


class PaypalIpnTable(tables.Table):
    received_at = DateTimeText(format="Y-m-d H:i:s", verbose_name=_("Received"))
    txn_id = tables.Column(verbose_name=_("PayPal transaction ID"))
    payment_status = tables.Column(verbose_name=_("PayPal status"))
    gross = tables.Column(verbose_name=_("Amount"), attrs={"td": {"class": "text-end"}})
    verdict = tables.Column(verbose_name=_("Verification"))
    outcome = tables.Column(verbose_name=_("Outcome"))
    failed_check = tables.Column(verbose_name=_("Check failed"))
    customer_payment = tables.Column(verbose_name=_("Order"), orderable=False)

    detail_url = "payments:paypal-ipn-detail"
    payment_url = "payments:customer-payment-detail"

    class Meta:
        model = PaypalIpn
        fields = (
            "received_at",
            "txn_id",
            "payment_status",
            "gross",
            "verdict",
            "outcome",
            "failed_check",
            "customer_payment",
        )
        order_by = ("-received_at",)
        empty_text = _("No PayPal notifications yet.")

    def render_received_at(self, record, value):
        url = reverse(self.detail_url, args=[record.pk])
        when = date_format(localtime(value), "Y-m-d H:i:s")
        return format_html('<a href="{}">{}</a>', url, when)

    def render_txn_id(self, value):
        return format_html('<span class="font-monospace">{}</span>', value)

    def render_gross(self, record, value):
        return money_display(value, record.currency) if record.currency else value

    def render_verdict(self, record):
        return record.get_verdict_display()

    def render_outcome(self, record):
        return ipn_outcome_badge(record)

    def render_failed_check(self, record):
        return record.get_failed_check_display() if record.failed_check else "—"

    def render_customer_payment(self, record):
        if record.customer_payment_id is None:
            return "—"
        url = reverse(self.payment_url, args=[record.customer_payment_id])
        return format_html(
            '<a href="{}" class="font-monospace">{}</a>', url, record.customer_payment.reference
        )


class StaffPaypalIpnTable(PaypalIpnTable):
    reseller = tables.Column(order_by=("reseller__name",), verbose_name=_("Reseller"))

    detail_url = "payments:staff-paypal-ipn-detail"
    payment_url = "payments:staff-customer-payment-detail"

    class Meta(PaypalIpnTable.Meta):
        sequence = ("received_at", "reseller", "...")
