"""Background work on payments; thin: ids in, a service does the work."""

from __future__ import annotations

from celery import shared_task

from payments.gateways.base import GatewayError
from payments.models import PaymentEvent, TopUp
from payments.services import customer_payments
from payments.services import paypal_ipn as ipns
from payments.services.payouts import payout_mail as send_payout_mail
from payments.services.reconcile import topups_reconcile as reconcile
from payments.services.statements import statement_import_run as import_run
from payments.services.topups import topup_paid_mail as paid_mail
from payments.services.topups import topup_refresh as refresh


@shared_task(acks_late=True)
def topups_reconcile() -> dict:
    report = reconcile()
    return {"checked": report.checked, "credited": report.credited, "expired": report.expired}


@shared_task(bind=True, acks_late=True, max_retries=8)
def topup_refresh(self, topup_id: int) -> str:
    """Capture an approved PayPal order / fetch a payment's state, after the webhook said."""
    topup = TopUp.objects.select_related("reseller").get(pk=topup_id)
    try:
        settled = refresh(topup=topup, source=PaymentEvent.Source.WEBHOOK)
    except GatewayError as exc:
        if exc.transient and not self.request.is_eager:
            raise self.retry(countdown=min(30 * 2**self.request.retries, 1800)) from exc
        return "error"  # the reconciliation job asks again later
    return settled.topup.status


@shared_task(acks_late=True)
def statement_import_run(import_id: int) -> str:
    return import_run(import_id=import_id).status


@shared_task(acks_late=True)
def topup_paid_mail(topup_id: int) -> None:
    paid_mail(topup_id=topup_id)


@shared_task(acks_late=True)
def customer_payment_credit(payment_id: int) -> str:
    """Credit a customer's verified payment as a recharge (or leave it waiting for funds)."""
    return customer_payments.customer_payment_credit(payment_id=payment_id).status


@shared_task(acks_late=True)
def customer_payments_fund(reseller_id: int) -> int:
    """After the reseller's sales credit grew: credit its payments waiting for funds."""
    return customer_payments.customer_payments_fund(reseller_id=reseller_id)


@shared_task(acks_late=True)
def customer_payments_retry() -> int:
    """Beat: credit waiting customer payments whose resellers have sales credit now."""
    return customer_payments.customer_payments_retry()


@shared_task(acks_late=True)
def customer_payment_funds_mail(payment_id: int) -> None:
    customer_payments.customer_payment_funds_mail(payment_id=payment_id)


@shared_task(acks_late=True)
def payout_mail(payout_id: int) -> None:
    send_payout_mail(payout_id=payout_id)


@shared_task(bind=True, acks_late=True, max_retries=8)
def paypal_ipn_process(self, ipn_id: int) -> str:
    """Ask PayPal whether it sent the IPN (its postback), then act on it."""
    try:
        ipn = ipns.paypal_ipn_process(ipn_id=ipn_id)
    except GatewayError as exc:
        if exc.transient and not self.request.is_eager:
            raise self.retry(countdown=min(30 * 2**self.request.retries, 1800)) from exc
        return "error"  # the beat job paypal_ipns_retry asks again later
    return ipn.outcome


@shared_task(acks_late=True)
def paypal_ipns_retry() -> int:
    """Beat: IPNs PayPal's postback has not answered yet are asked again."""
    return ipns.paypal_ipns_retry()
