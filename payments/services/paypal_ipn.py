"""PayPal IPNs from resellers' own PayPal accounts: keep each one, ask PayPal, then act.

`paypal_ipn_receive` is all the endpoint calls: the reseller is named by the notify_url's
token; the raw body is stored (a minute's cap per reseller keeps a flood of forged posts out of
the table) and the processing task is enqueued on commit, so PayPal gets its 200 at once.

`paypal_ipn_process` (the task) posts the body back to PayPal (`ipn_verify`) outside any
transaction, no row locked during the call; no answer is a transient error the task retries.
An INVALID answer is a forgery: recorded, nothing else. A VERIFIED IPN is checked and applied
in one transaction with the IPN and the customer payment locked:

- it must be addressed to this reseller's PayPal account (receiver e-mail or merchant id);
- Completed: the order (`invoice`) is this reseller's, in its currency and amount, and the
  txn_id is on no other payment: the payment is marked paid and, after the commit, credited
  (customer_payment_credit: a recharge, or waiting for the reseller's sales credit);
- Pending and other states: recorded, nothing credited (a later Completed IPN credits);
- Refunded/Reversed (parent_txn_id): the payment's sale is reversed, or flagged when the
  customer's balance is spent; Canceled_Reversal: recorded for people to look at.

Every IPN keeps its verdict, outcome and the check that failed, for the reseller and staff.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record
from core.queue import enqueue_on_commit
from payments.gateways.base import GatewayError
from payments.gateways.paypal_ipn import (
    IpnMalformed,
    IpnMessage,
    IpnVerdict,
    ipn_parse,
    ipn_verify,
)
from payments.models import CustomerPayment, PaypalIpn, ResellerPaypal
from payments.services.customer_payments import (
    customer_payment_credit,
    customer_payment_reverse_locked,
)

logger = logging.getLogger(__name__)

Verdict, Outcome, Check, Note = (
    PaypalIpn.Verdict,
    PaypalIpn.Outcome,
    PaypalIpn.Check,
    PaypalIpn.Note,
)
PaymentStatus = CustomerPayment.Status
PAYPAL = CustomerPayment.Provider.PAYPAL
TAKEN_BACK = ("Refunded", "Reversed")
CENT = Decimal("0.01")
# A payment a Completed IPN may mark paid (one expired at our side was still paid at PayPal).
OPEN = (PaymentStatus.CREATED, PaymentStatus.PENDING, PaymentStatus.EXPIRED)


def notify_token_new() -> str:
    return secrets.token_urlsafe(32)


# --- Receiving --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpnReceived:
    """The endpoint's answer: `status` is the HTTP status, `ipn` the row kept (if any)."""

    status: int
    ipn: PaypalIpn | None = None


def _over_the_cap(reseller_id: int) -> bool:
    minute = int(time.time() // 60)
    key = f"payments:paypal-ipn:{reseller_id}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        seen = cache.incr(key)
    except ValueError:  # evicted between add and incr
        seen = 1
    return seen > settings.PAYPAL_IPN_KEEP_PER_MINUTE


def _fields(message: IpnMessage) -> dict:
    """The fields kept in columns, to list and find IPNs by; the checks read the message."""
    gross = message.gross
    if gross is not None and (abs(gross) >= 10**12 or gross != gross.quantize(CENT)):
        gross = None  # not a PayPal amount; the raw body still shows it
    return {
        "txn_id": message.txn_id[:64],
        "parent_txn_id": message.parent_txn_id[:64],
        "txn_type": message.get("txn_type")[:64],
        "payment_status": message.payment_status[:64],
        "receiver_email": message.receiver_email[:254],
        "receiver_id": message.receiver_id[:64],
        "invoice": message.invoice[:127],
        "custom": message.custom[:255],
        "gross": gross,
        "currency": message.currency if len(message.currency) == 3 else "",
    }


def paypal_ipn_receive(*, token: str, body: bytes) -> IpnReceived:
    """Keep an IPN posted to the notify_url named by `token` and enqueue its processing.
    404 for a token that names no reseller (nothing kept), 413 for a body too large to be an
    IPN, 503 past the minute's cap; else 200."""
    account = ResellerPaypal.objects.filter(notify_token=token).only("reseller_id").first()
    if account is None or not token:
        return IpnReceived(404)
    if len(body) > settings.PAYPAL_IPN_MAX_BYTES:
        return IpnReceived(413)
    if _over_the_cap(account.reseller_id):
        logger.warning("PayPal IPN for reseller %s not kept: over the limit", account.reseller_id)
        return IpnReceived(503)
    with transaction.atomic(durable=True):
        try:
            message = ipn_parse(body)
        except IpnMalformed as exc:
            ipn = PaypalIpn.objects.create(
                reseller_id=account.reseller_id,
                body=body,
                outcome=Outcome.REJECTED,
                failed_check=Check.MALFORMED,
                detail=str(exc)[:300],
                processed_at=timezone.now(),
            )
            return IpnReceived(200, ipn)
        ipn = PaypalIpn.objects.create(
            reseller_id=account.reseller_id, body=body, **_fields(message)
        )
        enqueue_on_commit("payments.tasks.paypal_ipn_process", ipn.pk)
    return IpnReceived(200, ipn)


# --- Processing -------------------------------------------------------------------------------


def paypal_ipn_process(*, ipn_id: int) -> PaypalIpn:
    """Verify the IPN with PayPal and act on it; safe to run again (a processed IPN is left
    as it is). A GatewayError (PayPal did not answer) is raised for the task to retry."""
    ipn = PaypalIpn.objects.get(pk=ipn_id)
    if ipn.outcome != Outcome.PENDING:
        return ipn
    try:
        message = ipn_parse(bytes(ipn.body))
    except IpnMalformed as exc:
        return _finish(ipn_id, outcome=Outcome.REJECTED, check=Check.MALFORMED, detail=str(exc))
    PaypalIpn.objects.filter(pk=ipn_id).update(attempts=F("attempts") + 1)
    try:
        verdict = ipn_verify(message)
    except GatewayError as exc:
        PaypalIpn.objects.filter(pk=ipn_id, outcome=Outcome.PENDING).update(
            verdict=Verdict.ERROR, detail=str(exc)[:300]
        )
        raise
    if verdict == IpnVerdict.INVALID:
        return _finish(
            ipn_id, verdict=Verdict.INVALID, outcome=Outcome.REJECTED, check=Check.FORGED
        )
    ipn, credit = _apply(ipn_id=ipn_id, message=message)
    if credit is not None:
        # After the commit that marked it paid: a recharge, or waiting for sales credit.
        customer_payment_credit(payment_id=credit)
    return ipn


def paypal_ipns_retry() -> int:
    """The beat job: IPNs still waiting for PayPal's answer (a task's retries spent, a lost
    task), received more than ten minutes and less than PAYPAL_IPN_RETRY_DAYS ago."""
    now = timezone.now()
    waiting = PaypalIpn.objects.filter(
        outcome=Outcome.PENDING,
        received_at__lt=now - timedelta(minutes=10),
        received_at__gt=now - timedelta(days=settings.PAYPAL_IPN_RETRY_DAYS),
    ).values_list("pk", flat=True)
    count = 0
    for ipn_id in waiting:
        enqueue_on_commit("payments.tasks.paypal_ipn_process", ipn_id)
        count += 1
    return count


@transaction.atomic(durable=True)
def _finish(ipn_id: int, *, verdict: str | None = None, **result) -> PaypalIpn:
    ipn = PaypalIpn.objects.select_for_update().get(pk=ipn_id)
    if ipn.outcome == Outcome.PENDING:
        if verdict is not None:
            ipn.verdict = verdict
            ipn.verified_at = timezone.now()
        _record(ipn, **result)
    return ipn


def _record(
    ipn: PaypalIpn,
    *,
    outcome: str,
    check: str = "",
    note: str = "",
    detail: str = "",
    attention: bool = False,
    payment: CustomerPayment | None = None,
) -> None:
    ipn.outcome = outcome
    ipn.failed_check = check
    ipn.note = note
    ipn.detail = detail[:300]
    ipn.attention = attention
    ipn.processed_at = timezone.now()
    if payment is not None:
        ipn.customer_payment = payment
    ipn.save()
    if outcome == Outcome.APPLIED or attention:
        audit_record(
            actor=None,
            action=f"paypal_ipn.{outcome}",
            reseller_id=ipn.reseller_id,
            obj=ipn,
            data={
                "txn_id": ipn.txn_id,
                "payment_status": ipn.payment_status,
                "note": note,
                "customer_payment_id": payment.pk if payment is not None else None,
            },
        )


def _receiver_ok(ipn: PaypalIpn, account: ResellerPaypal | None) -> bool:
    """Addressed to this reseller's PayPal account: every receiver field the IPN names must be
    the account's (case-insensitively), and it must name at least one."""
    if account is None or not (ipn.receiver_email or ipn.receiver_id):
        return False
    if ipn.receiver_email and ipn.receiver_email.lower() != account.receiver_email.lower():
        return False
    return not (ipn.receiver_id and ipn.receiver_id.upper() != account.merchant_id.upper())


def _lock_payment(ipn: PaypalIpn, **match) -> CustomerPayment | None:
    return (
        CustomerPayment.objects.select_for_update(of=("self",))
        .select_related("reseller", "customer")
        .filter(reseller_id=ipn.reseller_id, provider=PAYPAL, **match)
        .order_by("id")
        .first()
    )


@transaction.atomic(durable=True)
def _apply(*, ipn_id: int, message: IpnMessage) -> tuple[PaypalIpn, int | None]:
    """Act on a VERIFIED IPN. Returns the IPN and the id of a payment to credit after the
    commit (or None)."""
    ipn = PaypalIpn.objects.select_for_update().get(pk=ipn_id)
    if ipn.outcome != Outcome.PENDING:
        return ipn, None
    ipn.verdict = Verdict.VERIFIED
    ipn.verified_at = timezone.now()
    account = ResellerPaypal.objects.filter(reseller_id=ipn.reseller_id).first()
    if not _receiver_ok(ipn, account):
        _record(
            ipn,
            outcome=Outcome.REJECTED,
            check=Check.WRONG_RECEIVER,
            detail=f"{ipn.receiver_email} {ipn.receiver_id}".strip(),
        )
        return ipn, None
    status = ipn.payment_status
    if status == "Completed":
        return _completed(ipn, message)
    if status in TAKEN_BACK:
        _taken_back(ipn, message)
    elif status == "Canceled_Reversal":
        payment = _lock_payment(ipn, provider_payment_id=ipn.parent_txn_id or "-")
        _record(
            ipn,
            outcome=Outcome.RECORDED,
            note=Note.CANCELED_REVERSAL,
            attention=True,
            payment=payment,
        )
    elif status:
        payment = _lock_payment(ipn, reference=ipn.invoice) if ipn.invoice else None
        if payment is not None and payment.status == PaymentStatus.CREATED and status == "Pending":
            payment.status = PaymentStatus.PENDING
            payment.save(update_fields=["status", "updated_at"])
        _record(
            ipn,
            outcome=Outcome.RECORDED,
            check=Check.NOT_COMPLETED,
            note=Note.NOT_COMPLETED,
            detail=status,
            payment=payment,
        )
    else:
        _record(ipn, outcome=Outcome.IGNORED, note=Note.NOT_A_PAYMENT, detail=ipn.txn_type)
    return ipn, None


def _completed(ipn: PaypalIpn, message: IpnMessage) -> tuple[PaypalIpn, int | None]:
    payment = _lock_payment(ipn, reference=ipn.invoice) if ipn.invoice else None
    if payment is None:
        _record(ipn, outcome=Outcome.REJECTED, check=Check.UNKNOWN_ORDER, detail=ipn.invoice)
        return ipn, None
    if not ipn.txn_id:
        _record(ipn, outcome=Outcome.REJECTED, check=Check.MALFORMED, payment=payment)
        return ipn, None
    if message.currency != payment.currency:
        _record(
            ipn,
            outcome=Outcome.REJECTED,
            check=Check.WRONG_CURRENCY,
            detail=f"{message.currency[:20]} / {payment.currency}",
            payment=payment,
        )
        return ipn, None
    if message.gross != payment.amount:
        _record(
            ipn,
            outcome=Outcome.REJECTED,
            check=Check.WRONG_AMOUNT,
            detail=f"{message.get('mc_gross')[:40]} / {payment.amount} {payment.currency}",
            payment=payment,
        )
        return ipn, None
    other = (
        CustomerPayment.objects.filter(provider=PAYPAL, provider_payment_id=ipn.txn_id)
        .exclude(pk=payment.pk)
        .exists()
    )
    if other or payment.provider_payment_id == ipn.txn_id:
        _record(ipn, outcome=Outcome.DUPLICATE, note=Note.REPLAY, payment=payment)
        return ipn, None
    if payment.provider_payment_id or payment.status not in OPEN:
        # The order was paid by another transaction: PayPal took the money twice.
        _record(
            ipn,
            outcome=Outcome.RECORDED,
            note=Note.PAID_TWICE,
            detail=payment.provider_payment_id,
            attention=True,
            payment=payment,
        )
        return ipn, None
    payment.status = PaymentStatus.PAID
    payment.provider_payment_id = ipn.txn_id
    payment.paid_at = timezone.now()
    payment.save(update_fields=["status", "provider_payment_id", "paid_at", "updated_at"])
    audit_record(
        actor=None,
        action="customer_payment.paid",
        reseller=payment.reseller,
        obj=payment,
        data={"amount": str(payment.amount), "currency": payment.currency, "txn_id": ipn.txn_id},
    )
    _record(ipn, outcome=Outcome.APPLIED, note=Note.PAID, payment=payment)
    return ipn, payment.pk


def _taken_back(ipn: PaypalIpn, message: IpnMessage) -> None:
    """Refunded or Reversed: the original payment (parent_txn_id) is reversed."""
    if not ipn.parent_txn_id:
        _record(ipn, outcome=Outcome.REJECTED, check=Check.MALFORMED)
        return
    payment = _lock_payment(ipn, provider_payment_id=ipn.parent_txn_id)
    if payment is None:
        _record(ipn, outcome=Outcome.REJECTED, check=Check.UNKNOWN_ORDER, detail=ipn.parent_txn_id)
        return
    if payment.status == PaymentStatus.REVERSED:
        _record(ipn, outcome=Outcome.DUPLICATE, note=Note.REPLAY, payment=payment)
        return
    if message.currency and message.currency != payment.currency:
        _record(
            ipn,
            outcome=Outcome.REJECTED,
            check=Check.WRONG_CURRENCY,
            detail=f"{message.currency[:20]} / {payment.currency}",
            payment=payment,
        )
        return
    if message.gross is not None and abs(message.gross) < payment.amount:
        _record(
            ipn,
            outcome=Outcome.RECORDED,
            note=Note.PARTIAL_REFUND,
            detail=f"{abs(message.gross)} / {payment.amount} {payment.currency}",
            attention=True,
            payment=payment,
        )
        return
    reason = f"PayPal {ipn.payment_status} {ipn.txn_id}".strip()
    if customer_payment_reverse_locked(payment, reason=reason):
        _record(ipn, outcome=Outcome.APPLIED, note=Note.REVERSED, payment=payment)
    else:
        _record(
            ipn,
            outcome=Outcome.RECORDED,
            note=Note.REVERSAL_FLAGGED,
            detail=payment.attention,
            attention=True,
            payment=payment,
        )


# --- The reseller's PayPal account ------------------------------------------------------------


@transaction.atomic(durable=True)
def reseller_paypal_set(
    *, reseller, actor, receiver_email: str, merchant_id: str, enabled: bool
) -> ResellerPaypal:
    """Set the reseller's PayPal account its customers pay into; its notify_token is made
    once, the first time."""
    account = ResellerPaypal.objects.select_for_update().filter(reseller=reseller).first()
    before = None
    if account is None:
        account = ResellerPaypal(reseller=reseller, notify_token=notify_token_new())
    else:
        before = {
            "receiver_email": account.receiver_email,
            "merchant_id": account.merchant_id,
            "enabled": account.enabled,
        }
    account.receiver_email = receiver_email.strip().lower()
    account.merchant_id = merchant_id.strip().upper()
    account.enabled = enabled
    account.updated_by = actor
    account.save()
    audit_record(
        actor=actor,
        action="reseller_paypal.set",
        reseller=reseller,
        obj=account,
        data={
            "before": before,
            "receiver_email": account.receiver_email,
            "merchant_id": account.merchant_id,
            "enabled": enabled,
        },
    )
    return account
