"""Reads on payments. Tenant reads take the reseller first; staff reads say so in their name."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from billing.models import Invoice
from ledger.models import LedgerAccount
from ledger.selectors import operator_balance
from payments.models import (
    CustomerPayment,
    Method,
    PaymentEvent,
    PaypalIpn,
    ResellerPaypal,
    StatementImport,
    StatementLine,
    TopUp,
    TopUpRefund,
)

CLEARING_KINDS = {
    Method.STRIPE: LedgerAccount.Kind.CLEARING_STRIPE,
    Method.PAYPAL: LedgerAccount.Kind.CLEARING_PAYPAL,
    Method.BANK: LedgerAccount.Kind.BANK,
}


def topup_list(*, reseller) -> QuerySet[TopUp]:
    return TopUp.objects.filter(reseller=reseller).select_related("created_by")


def topup_get(*, reseller, pk: int) -> TopUp:
    """The reseller's top-up; DoesNotExist for another tenant's id (the view answers 404)."""
    return topup_list(reseller=reseller).get(pk=pk)


def topup_invoices(*, topup: TopUp) -> QuerySet[Invoice]:
    """The invoice of the (tenant-scoped) top-up and the credit notes correcting it."""
    key = f"topup:{topup.pk}"
    rows = Invoice.objects.filter(Q(source_key=key) | Q(credited_invoice__source_key=key))
    return rows.filter(reseller_id=topup.reseller_id).order_by("id")


def topup_events(*, topup: TopUp) -> QuerySet[PaymentEvent]:
    return topup.events.order_by("id")


def staff_topup_list() -> QuerySet[TopUp]:
    return TopUp.objects.select_related("reseller")


def staff_topup_get(*, pk: int) -> TopUp:
    return staff_topup_list().get(pk=pk)


def staff_refund_get(*, pk: int) -> TopUpRefund:
    return TopUpRefund.objects.get(pk=pk)


def staff_attention_list() -> QuerySet[TopUp]:
    return staff_topup_list().exclude(attention="").order_by("-updated_at")


def staff_rejected_events() -> QuerySet[PaymentEvent]:
    """Every event that failed a check, newest first: what was received, and why not."""
    return (
        PaymentEvent.objects.exclude(failed_check="")
        .select_related("topup")
        .order_by("-received_at")
    )


@dataclass(frozen=True)
class ClearingBalance:
    method: str
    label: str
    currency: str
    balance: Decimal  # the operator's side: negative = money collected, not yet moved out


def staff_clearing_balances() -> list[ClearingBalance]:
    """Per gateway and currency, the clearing (or bank) account's balance over its shards."""
    currencies = (
        LedgerAccount.objects.filter(
            owner_type=LedgerAccount.OwnerType.OPERATOR, kind__in=CLEARING_KINDS.values()
        )
        .values_list("kind", "currency")
        .distinct()
    )
    present = set(currencies)
    rows = []
    for method, kind in CLEARING_KINDS.items():
        for account_kind, currency in sorted(present):
            if account_kind != kind:
                continue
            rows.append(
                ClearingBalance(
                    method=method,
                    label=str(Method(method).label),
                    currency=currency,
                    balance=operator_balance(kind=kind, currency=currency),
                )
            )
    return rows


def staff_statement_imports() -> QuerySet[StatementImport]:
    return StatementImport.objects.select_related("created_by").defer("content")


def staff_statement_import_get(*, pk: int) -> StatementImport:
    return staff_statement_imports().get(pk=pk)


def staff_statement_lines(*, statement: StatementImport) -> QuerySet[StatementLine]:
    return statement.lines.select_related("topup").order_by("id")


def staff_statement_queue() -> QuerySet[StatementLine]:
    return (
        StatementLine.objects.filter(status__in=StatementLine.QUEUE)
        .select_related("candidate", "candidate__reseller")
        .order_by("booking_date", "id")
    )


def staff_statement_line_get(*, pk: int) -> StatementLine:
    return StatementLine.objects.select_related("candidate").get(pk=pk)


def staff_open_bank_topups(*, currency: str, amount: Decimal | None = None) -> QuerySet[TopUp]:
    """Open bank-transfer top-ups a queued line could pay, closest amount first."""
    rows = staff_topup_list().filter(
        method=Method.BANK,
        currency=currency,
        status__in=(*TopUp.OPEN, TopUp.Status.EXPIRED),
        statement_line__isnull=True,
    )
    return rows.order_by("-created_at")


# --- Customers' own payments and PayPal IPNs (issue 15) ----------------------------------------


def reseller_paypal_get(*, reseller) -> ResellerPaypal | None:
    return ResellerPaypal.objects.filter(reseller=reseller).first()


def customer_payment_list(*, reseller) -> QuerySet[CustomerPayment]:
    return CustomerPayment.objects.filter(reseller=reseller).select_related("customer")


def customer_payment_get(*, reseller, pk: int) -> CustomerPayment:
    """The reseller's customer payment; DoesNotExist for another tenant's id."""
    return customer_payment_list(reseller=reseller).get(pk=pk)


@dataclass(frozen=True)
class WaitingPayments:
    count: int
    total: Decimal


def customer_payments_waiting(*, reseller) -> WaitingPayments:
    """The reseller's customer payments waiting for its sales credit: how many, how much."""
    rows = CustomerPayment.objects.filter(
        reseller=reseller, status=CustomerPayment.Status.NEEDS_FUNDS
    ).aggregate(count=Count("id"), total=Sum("amount"))
    return WaitingPayments(count=rows["count"], total=rows["total"] or Decimal("0"))


def customer_payment_ipns(*, payment: CustomerPayment) -> QuerySet[PaypalIpn]:
    """The IPNs about the (tenant-scoped) payment, oldest first."""
    return PaypalIpn.objects.filter(
        customer_payment=payment, reseller_id=payment.reseller_id
    ).order_by("id")


def paypal_ipn_list(*, reseller) -> QuerySet[PaypalIpn]:
    return (
        PaypalIpn.objects.filter(reseller=reseller)
        .select_related("customer_payment")
        .defer("body")
        .order_by("-received_at", "-id")
    )


def paypal_ipn_get(*, reseller, pk: int) -> PaypalIpn:
    return PaypalIpn.objects.filter(reseller=reseller).select_related("customer_payment").get(pk=pk)


def staff_customer_payment_list() -> QuerySet[CustomerPayment]:
    return CustomerPayment.objects.select_related("customer", "reseller")


def staff_customer_payment_get(*, pk: int) -> CustomerPayment:
    return staff_customer_payment_list().get(pk=pk)


def staff_paypal_ipn_list() -> QuerySet[PaypalIpn]:
    return (
        PaypalIpn.objects.select_related("reseller", "customer_payment")
        .defer("body")
        .order_by("-received_at", "-id")
    )


def staff_paypal_ipn_get(*, pk: int) -> PaypalIpn:
    return PaypalIpn.objects.select_related("reseller", "customer_payment").get(pk=pk)
