"""Refunds and chargebacks: money given back on a paid top-up.

Staff refunds post their reversal first, in the transaction that records the request, so the
credit cannot be spent while the provider is asked; the provider is called after commit, and
a refund it refuses is posted back. A refund or chargeback the provider reports on its own
(its dashboard, a dispute) reverses the same way, or, when the reseller's credit no longer
covers it, is flagged for staff with nothing posted.

A reversal takes back the net from the reseller's sales credit (or `pending` while it awaits
approval) and the VAT from VAT payable, and gives the gross back to the clearing account:
the mirror image of the top-up's posting, for the refunded share. The last refund of a
top-up takes exactly what is left, so refunds never leave a cent behind.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.money import money_display, to_minor_unit
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import (
    InsufficientFunds,
    OperatorAccount,
    ledger_post,
    reseller_account,
)
from payments.errors import RefundError
from payments.gateways.base import GatewayError, Notification
from payments.gateways.registry import gateway
from payments.models import Method, PaymentEvent, TopUp, TopUpRefund
from payments.services.invoicing import refund_credit_note
from payments.services.topups import CLEARING, event_seen, topup_lock
from resellers.models import Reseller

Kind = LedgerAccount.Kind
Status = TopUpRefund.Status
# Refunds that hold (or held) money back: counted against what can still be refunded.
COUNTED = (Status.REQUESTED, Status.SUCCEEDED, Status.FLAGGED)


def _split(topup: TopUp, gross: Decimal) -> tuple[Decimal, Decimal]:
    """(net, VAT) of refunding `gross` of the top-up: the VAT share rounded half-up; the
    refund that empties the top-up takes exactly the net and VAT left."""
    done = topup.refunds.filter(status__in=COUNTED).aggregate(
        gross=Sum("gross"), net=Sum("net"), vat=Sum("vat")
    )
    left_gross = topup.gross - (done["gross"] or 0)
    if gross == left_gross:
        return topup.net - (done["net"] or 0), topup.vat - (done["vat"] or 0)
    vat = to_minor_unit(gross * topup.vat / topup.gross, topup.currency)
    return gross - vat, vat


def _credit_account(reseller: Reseller, currency: str) -> LedgerAccount:
    kind = Kind.PENDING if reseller.is_pending_approval else Kind.SALES_CREDIT
    return reseller_account(reseller=reseller, kind=kind, currency=currency)


def _post_reversal(*, topup: TopUp, refund: TopUpRefund, reseller: Reseller, actor):
    legs = [
        (_credit_account(reseller, topup.currency), -refund.net),
        (OperatorAccount(CLEARING[topup.method]), refund.gross),
    ]
    if refund.vat:
        legs.append((OperatorAccount(Kind.VAT_PAYABLE), -refund.vat))
    # The memo is the top-up's reference, the same in every language the cashbook is read
    # in; what kind of reversal it is lives in the metadata (and on the top-up's page).
    return ledger_post(
        kind=LedgerTransaction.Kind.REVERSAL,
        currency=topup.currency,
        legs=legs,
        idempotency_key=f"topup-refund:{refund.pk}",
        scope=f"reseller:{reseller.pk}",
        actor=actor,
        reseller=reseller,
        memo=topup.reference,
        metadata={"topup": topup.pk, "refund": refund.pk, "source": refund.source},
    )


def _available(reseller: Reseller, currency: str) -> Decimal:
    return _credit_account(reseller, currency).balance


def refund_amount(value, currency: str) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise RefundError("amount-invalid") from None
    if not amount.is_finite() or amount <= 0 or to_minor_unit(amount, currency) != amount:
        raise RefundError("amount-invalid")
    return amount


@transaction.atomic(durable=True)
def _refund_reserve(*, topup_id: int, gross, reason: str, actor, key: str) -> TopUpRefund:
    topup = topup_lock(topup_id)
    existing = TopUpRefund.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if topup.method not in (Method.STRIPE, Method.PAYPAL) or topup.status not in (
        TopUp.Status.PAID,
        TopUp.Status.REFUNDED,
    ):
        raise RefundError("not-refundable")
    gross = refund_amount(gross, topup.currency)
    if gross > topup.refundable_gross:
        raise RefundError(
            "more-than-paid", refundable=money_display(topup.refundable_gross, topup.currency)
        )
    net, vat = _split(topup, gross)
    reseller = topup.reseller  # locked with the top-up (topup_lock)
    available = _available(reseller, topup.currency)
    if net > available:
        raise RefundError(
            "credit-spent",
            needed=money_display(net, topup.currency),
            available=money_display(max(available, Decimal(0)), topup.currency),
        )
    refund = TopUpRefund.objects.create(
        topup=topup,
        source=TopUpRefund.Source.STAFF,
        status=Status.REQUESTED,
        gross=gross,
        net=net,
        vat=vat,
        reason=reason[:300],
        key=key,
        actor=actor,
    )
    try:
        refund.ledger_transaction = _post_reversal(
            topup=topup, refund=refund, reseller=reseller, actor=actor
        )
    except InsufficientFunds:  # spent between the check and the lock of the account
        raise RefundError(
            "credit-spent",
            needed=money_display(net, topup.currency),
            available=money_display(_available(reseller, topup.currency), topup.currency),
        ) from None
    refund.save(update_fields=["ledger_transaction"])
    _topup_refunded(topup, gross)
    audit_record(
        actor=actor,
        action="topup.refund_requested",
        reseller=reseller,
        obj=topup,
        data={"amount": str(gross), "currency": topup.currency, "reason": reason[:200]},
    )
    return refund


def _topup_refunded(topup: TopUp, gross: Decimal) -> None:
    topup.refunded_gross += gross
    topup.status = (
        TopUp.Status.REFUNDED if topup.refunded_gross >= topup.gross else TopUp.Status.PAID
    )
    topup.save(update_fields=["refunded_gross", "status", "updated_at"])


def refund_request(*, topup_id: int, gross, reason: str, actor, key: str) -> TopUpRefund:
    """Staff refund `gross` of a card or PayPal top-up through its provider. The reversal is
    posted first (refused, with what is still available, when the credit is spent); the
    provider is asked after commit; a refusal posts the money back and says why."""
    refund = _refund_reserve(topup_id=topup_id, gross=gross, reason=reason, actor=actor, key=key)
    if refund.status != Status.REQUESTED:
        return refund
    topup = refund.topup
    try:
        result = gateway(topup.method).refund(
            provider_charge_id=topup.provider_charge_id,
            amount=refund.gross,
            currency=topup.currency,
            idempotency_key=f"topup-refund-{refund.pk}",
        )
    except GatewayError as exc:
        _refund_undo(refund_id=refund.pk, actor=actor, detail=str(exc))
        code = "provider-unavailable" if exc.transient else "provider-refused"
        raise RefundError(code, detail=str(exc)) from exc
    if result.status == "failed":
        _refund_undo(refund_id=refund.pk, actor=actor, detail=_("refused"))
        raise RefundError("provider-refused", detail=_("refused"))
    with transaction.atomic(durable=True):
        refund = TopUpRefund.objects.select_for_update().get(pk=refund.pk)
        refund.status = Status.SUCCEEDED
        refund.provider_refund_id = result.provider_refund_id
        refund.save(update_fields=["status", "provider_refund_id", "updated_at"])
        _refund_event(refund, outcome=PaymentEvent.Outcome.APPLIED, payload=dict(result.raw))
        refund_credit_note(refund=refund, actor=actor)
    return refund


@transaction.atomic(durable=True)
def _refund_undo(*, refund_id: int, actor, detail: str) -> None:
    refund = TopUpRefund.objects.select_for_update().get(pk=refund_id)
    topup = topup_lock(refund.topup_id)
    if refund.status != Status.REQUESTED:
        return
    # The mirror image of the refund's posting (a reversal is not itself reversed).
    posted = refund.ledger_transaction
    ledger_post(
        kind=LedgerTransaction.Kind.ADJUSTMENT,
        currency=posted.currency,
        legs=[(entry.account, -entry.amount) for entry in posted.entries.select_related("account")],
        idempotency_key=f"topup-refund-undo:{refund.pk}",
        scope=posted.idempotency_scope,
        actor=actor,
        reseller=posted.reseller,
        memo=topup.reference,
        metadata={
            "topup": topup.pk,
            "refund": refund.pk,
            "undoes": posted.pk,
            "detail": detail[:200],
        },
    )
    refund.status = Status.FAILED
    refund.save(update_fields=["status", "updated_at"])
    topup.refunded_gross -= refund.gross
    topup.status = TopUp.Status.PAID
    topup.save(update_fields=["refunded_gross", "status", "updated_at"])
    _refund_event(
        refund,
        outcome=PaymentEvent.Outcome.REJECTED,
        failed_check=PaymentEvent.Check.STATE,
        detail=detail[:300],
    )


def _refund_event(refund: TopUpRefund, **fields) -> PaymentEvent:
    """The event log's line for a refund staff asked of the provider."""
    topup = refund.topup
    return PaymentEvent.objects.create(
        topup=topup,
        provider=topup.method,
        source=PaymentEvent.Source.STAFF,
        event_type="refund",
        amount=refund.gross,
        currency=topup.currency,
        **fields,
    )


def _event_once(topup: TopUp, note: Notification, outcome: str) -> bool:
    """Record the notification on the (locked) top-up; False when it was recorded before:
    a second delivery waits on the lock and then finds the first one's row (topups' rule)."""
    if event_seen(topup.method, note.event_id):
        return False
    PaymentEvent.objects.create(
        topup=topup,
        provider=topup.method,
        source=PaymentEvent.Source.WEBHOOK,
        event_id=note.event_id,
        event_type=note.event_type,
        verified=True,
        outcome=outcome,
        amount=note.amount if note.amount is not None else note.refunded_total,
        currency=note.currency,
        payload=dict(note.raw),
    )
    return True


def _take_back(
    *, topup: TopUp, source: str, gross: Decimal, key: str, provider_refund_id: str, note
) -> TopUpRefund | None:
    """Reverse money the provider already gave back; flag it when the credit is gone."""
    if TopUpRefund.objects.filter(key=key).exists():
        return None
    gross = min(gross, topup.refundable_gross)
    if gross <= 0:
        return None
    net, vat = _split(topup, gross)
    reseller = topup.reseller  # locked with the top-up (topup_lock)
    refund = TopUpRefund.objects.create(
        topup=topup,
        source=source,
        status=Status.SUCCEEDED,
        gross=gross,
        net=net,
        vat=vat,
        key=key,
        provider_refund_id=provider_refund_id,
        reason=note.event_type,
    )
    if net > _available(reseller, topup.currency):
        _flag(topup, refund, reseller)
    else:
        try:
            with transaction.atomic():
                refund.ledger_transaction = _post_reversal(
                    topup=topup, refund=refund, reseller=reseller, actor=None
                )
            refund.save(update_fields=["ledger_transaction"])
            refund_credit_note(refund=refund, actor=None)
        except InsufficientFunds:
            _flag(topup, refund, reseller)
    _topup_refunded(topup, gross)
    audit_record(
        actor=None,
        action="topup.chargeback" if source == TopUpRefund.Source.CHARGEBACK else "topup.refunded",
        reseller=reseller,
        obj=topup,
        data={"amount": str(gross), "currency": topup.currency, "status": refund.status},
    )
    return refund


def _flag(topup: TopUp, refund: TopUpRefund, reseller: Reseller) -> None:
    refund.status = Status.FLAGGED
    refund.save(update_fields=["status"])
    topup.attention = _(
        "The provider took back %(amount)s, but the reseller's credit no longer covers it."
    ) % {"amount": money_display(refund.gross, topup.currency)}
    topup.save(update_fields=["attention"])


@transaction.atomic(durable=True)
def refund_from_provider(*, topup_id: int, note: Notification) -> TopUpRefund | None:
    """A refund notification: the provider's cumulative refunded total beyond what we have
    on record is a refund made at the provider; it is reversed (or flagged)."""
    topup = topup_lock(topup_id)
    if not _event_once(topup, note, PaymentEvent.Outcome.APPLIED):
        return None
    if note.refunded_total is None:
        return None
    ours = topup.refunds.filter(
        status__in=COUNTED, source__in=(TopUpRefund.Source.STAFF, TopUpRefund.Source.PROVIDER)
    ).aggregate(total=Sum("gross"))["total"] or Decimal(0)
    extra = Decimal(note.refunded_total) - ours
    return _take_back(
        topup=topup,
        source=TopUpRefund.Source.PROVIDER,
        gross=extra,
        key=f"{topup.method}:refunded:{topup.provider_charge_id}:{note.refunded_total}",
        provider_refund_id="",
        note=note,
    )


@transaction.atomic(durable=True)
def chargeback_receive(*, topup_id: int, note: Notification) -> TopUpRefund | None:
    """A dispute took money back: reverse it from the credit, or flag it for staff."""
    topup = topup_lock(topup_id)
    if not _event_once(topup, note, PaymentEvent.Outcome.APPLIED):
        return None
    return _take_back(
        topup=topup,
        source=TopUpRefund.Source.CHARGEBACK,
        gross=Decimal(note.amount or 0),
        key=f"{topup.method}:dispute:{note.dispute_id or note.event_id}",
        provider_refund_id=note.dispute_id,
        note=note,
    )


@transaction.atomic(durable=True)
def refund_flagged_retry(*, refund_id: int, actor) -> TopUpRefund:
    """Post a flagged refund's reversal now that the credit may cover it again."""
    refund = TopUpRefund.objects.select_for_update().get(pk=refund_id)
    topup = topup_lock(refund.topup_id)
    if refund.status != Status.FLAGGED:
        raise RefundError("not-flagged")
    reseller = topup.reseller  # locked with the top-up (topup_lock)
    available = _available(reseller, topup.currency)
    if refund.net > available:
        raise RefundError(
            "credit-spent",
            needed=money_display(refund.net, topup.currency),
            available=money_display(max(available, Decimal(0)), topup.currency),
        )
    refund.ledger_transaction = _post_reversal(
        topup=topup, refund=refund, reseller=reseller, actor=actor
    )
    refund.status = Status.SUCCEEDED
    refund.save(update_fields=["ledger_transaction", "status", "updated_at"])
    refund_credit_note(refund=refund, actor=actor)
    if not topup.refunds.filter(status=Status.FLAGGED).exists():
        topup.attention = ""
        topup.save(update_fields=["attention", "updated_at"])
    audit_record(
        actor=actor,
        action="topup.refund_posted",
        reseller=reseller,
        obj=topup,
        data={"amount": str(refund.gross), "currency": topup.currency},
    )
    return refund
