"""Reads on payments. Tenant reads take the reseller first; staff reads say so in their name."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from billing.models import Invoice
from ledger.models import LedgerAccount
from ledger.selectors import operator_balance, reseller_balance
from payments.models import (
    CustomerPayment,
    Method,
    PaymentEvent,
    Payout,
    PayoutBatch,
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


# --- Commission payouts -----------------------------------------------------------------------


def payout_available(*, reseller) -> Decimal:
    """The commission credit the reseller may still ask to be paid out."""
    return reseller_balance(reseller=reseller, kind=LedgerAccount.Kind.COMMISSION)


def payout_list(*, reseller) -> QuerySet[Payout]:
    return Payout.objects.filter(reseller=reseller).select_related("requested_by")


def payout_get(*, reseller, pk: int) -> Payout:
    """The reseller's payout; DoesNotExist for another tenant's id (the view answers 404)."""
    return payout_list(reseller=reseller).get(pk=pk)


def payout_for_form(*, reseller, form_key: str) -> Payout | None:
    """The payout the request form with this one-time key made, if it made one."""
    if not form_key:
        return None
    return Payout.objects.filter(reseller=reseller, form_key=form_key[:64]).first()


def staff_payout_list() -> QuerySet[Payout]:
    return Payout.objects.select_related("reseller")


def staff_payout_get(*, pk: int) -> Payout:
    return staff_payout_list().select_related("requested_by", "decided_by", "batch").get(pk=pk)


@dataclass(frozen=True)
class PayoutsReady:
    count: int
    total: Decimal


def staff_payouts_ready() -> PayoutsReady:
    """The approved payouts the next SEPA file would carry (euros)."""
    row = Payout.objects.filter(status=Payout.Status.APPROVED, currency="EUR").aggregate(
        count=Count("id"), total=Sum("amount")
    )
    return PayoutsReady(count=row["count"], total=row["total"] or Decimal(0))


def staff_payout_batches() -> QuerySet[PayoutBatch]:
    return PayoutBatch.objects.select_related("created_by", "confirmed_by").defer("content")


def staff_payout_batch_get(*, pk: int) -> PayoutBatch:
    return staff_payout_batches().get(pk=pk)


def staff_payout_batch_file(*, pk: int) -> PayoutBatch:
    return PayoutBatch.objects.only("message_id", "content").get(pk=pk)


def staff_payout_batch_payouts(*, batch: PayoutBatch) -> QuerySet[Payout]:
    return batch.payouts.select_related("reseller").order_by("id")


# --- Customers' card payments (payments.services.customer_card) --------------------------------


def staff_customer_card_attention() -> QuerySet[CustomerPayment]:
    """Customers' card payments staff must look at: flagged, or paid but not as ordered."""
    return (
        CustomerPayment.objects.filter(provider=CustomerPayment.Provider.STRIPE)
        .filter(Q(status=CustomerPayment.Status.FLAGGED) | ~Q(attention=""))
        .select_related("reseller", "customer")
        .order_by("-id")
    )


# --- End customers paying for their own credit (the customer portal) --------------------------


def reseller_paypal_enabled(*, reseller) -> ResellerPaypal | None:
    """The reseller's own PayPal account if its customers may pay into it now (enabled, and
    the reseller may sell), else None."""
    if reseller.status != reseller.Status.APPROVED:
        return None
    return ResellerPaypal.objects.filter(reseller=reseller, enabled=True).first()


def customer_own_payment_get(*, reseller, customer, reference: str) -> CustomerPayment:
    """The customer's own payment by its order id; DoesNotExist for anybody else's (404)."""
    return CustomerPayment.objects.select_related("reseller", "customer").get(
        reseller=reseller, customer=customer, reference=reference
    )


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
