"""Top-ups: the quote, the order, the trip to the provider and the ONE fulfilment.

`topup_settle` (its fulfilment, `topup_fulfil_locked`) is the only code that credits a
top-up. The webhook, the payer's return page, the reconciliation job and the bank statement
import all end in it. It locks the top-up row,
records the event (a verified provider event is unique by its id, written in this same
transaction), checks amount and currency against the order, and posts one ledger transaction
under the key `topup:<id>`; whoever comes second finds the top-up paid and posts nothing.
Provider calls happen before or after, never inside, a database transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.money import money_display, to_minor_unit
from core.net import portal_url
from core.queue import enqueue_on_commit
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import OperatorAccount, ledger_post, reseller_account
from payments.bank.reference import rf_reference
from payments.errors import PaymentError
from payments.gateways.base import (
    GatewayError,
    GatewayResult,
    Notification,
    PaymentRequest,
    PaymentStatus,
)
from payments.gateways.registry import gateway, method_available
from payments.models import CustomerPayment, Method, PaymentEvent, TopUp
from payments.services.invoicing import topup_invoice_issue
from resellers.models import Reseller

Kind = LedgerAccount.Kind
Check = PaymentEvent.Check
Outcome = PaymentEvent.Outcome

CLEARING = {
    Method.STRIPE: Kind.CLEARING_STRIPE,
    Method.PAYPAL: Kind.CLEARING_PAYPAL,
    Method.BANK: Kind.BANK,
}


# --- Quote and order --------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What a top-up of `net` costs: VAT by the reseller's treatment, rounded half-up to the
    currency's minor unit; gross = net + VAT exactly."""

    currency: str
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    gross: Decimal
    treatment: str
    treatment_label: str
    note: str


def topup_limits(*, currency: str) -> tuple[Decimal, Decimal]:
    return (
        Decimal(settings.TOPUP_MINIMUM.get(currency, "1")),
        Decimal(settings.TOPUP_MAXIMUM.get(currency, "50000")),
    )


def topup_quote(*, reseller: Reseller, net: Decimal | str) -> Quote:
    """The quote for `net` in the reseller's currency; PaymentError for an amount outside
    the limits or with more decimals than the currency has."""
    currency = str(reseller.currency)
    try:
        net = Decimal(net)
    except (InvalidOperation, TypeError, ValueError):
        raise PaymentError("amount-invalid") from None
    if not net.is_finite() or to_minor_unit(net, currency) != net:
        raise PaymentError("amount-invalid")
    minimum, maximum = topup_limits(currency=currency)
    if net < minimum:
        raise PaymentError("amount-below-minimum", minimum=money_display(minimum, currency))
    if net > maximum:
        raise PaymentError("amount-above-maximum", maximum=money_display(maximum, currency))
    treatment = reseller.vat_treatment
    vat = to_minor_unit(net * treatment.rate / 100, currency)
    return Quote(
        currency=currency,
        net=net,
        vat_rate=treatment.rate,
        vat=vat,
        gross=net + vat,
        treatment=str(treatment.treatment),
        treatment_label=treatment.label,
        note=treatment.note,
    )


def _new_reference() -> str:
    # 12 random characters after "TS": unique in practice; the unique index says for sure.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return rf_reference(body="TS" + "".join(secrets.choice(alphabet) for _ in range(12)))


def topup_create(
    *,
    reseller: Reseller,
    actor,
    net: Decimal | str,
    method: str,
    form_key: str,
    currency: str | None = None,
) -> TopUp:
    """Open a top-up (status created). The same form sent twice (`form_key`) answers the
    top-up it opened the first time. `currency`, when the form says one, must be the
    reseller's: its account is kept in one currency."""
    if reseller.is_blocked:
        raise PaymentError("reseller-blocked")
    if not reseller.is_direct:
        # The operator sells to direct resellers; a sub-reseller buys from its parent.
        raise PaymentError("sub-reseller", parent=reseller.parent.name)
    if currency and currency.upper() != str(reseller.currency):
        raise PaymentError("wrong-currency", expected=str(reseller.currency), given=currency)
    if method not in Method.values or not method_available(method):
        raise PaymentError("method-unavailable")
    quote = topup_quote(reseller=reseller, net=net)
    existing = TopUp.objects.filter(reseller=reseller, form_key=form_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic(durable=True):
            topup = TopUp.objects.create(
                reseller=reseller,
                created_by=actor if actor is not None and actor.is_authenticated else None,
                method=method,
                status=TopUp.Status.PENDING if method == Method.BANK else TopUp.Status.CREATED,
                currency=quote.currency,
                net=quote.net,
                vat_rate=quote.vat_rate,
                vat=quote.vat,
                gross=quote.gross,
                treatment=quote.treatment,
                vat_note=quote.note,
                reference=_new_reference(),
                form_key=form_key,
            )
            audit_record(
                actor=actor,
                action="topup.created",
                reseller=reseller,
                obj=topup,
                data={"amount": str(topup.gross), "currency": topup.currency, "method": method},
            )
    except IntegrityError:
        # The same form, sent twice at once: the other request opened it.
        return TopUp.objects.get(reseller=reseller, form_key=form_key)
    return topup


def topup_start(*, topup: TopUp, success_url: str, cancel_url: str) -> TopUp:
    """Create the payment at the provider (outside any transaction) and keep its id and the
    checkout address on the top-up. A bank transfer has nothing to start."""
    if topup.method == Method.BANK or topup.checkout_url:
        return topup
    request = PaymentRequest(
        reference=topup.reference,
        amount=topup.gross,
        currency=topup.currency,
        description=_("Sales credit top-up %(reference)s") % {"reference": topup.reference},
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"topup-start-{topup.reference}",
        payer_email=topup.reseller.contact_email,
        locale=(topup.reseller.language or "")[:2],
    )
    try:
        result = gateway(topup.method).start(request)
    except GatewayError as exc:
        _record_call_failure(topup=topup, exc=exc, what="start")
        if exc.transient:
            raise PaymentError("provider-unavailable") from exc
        raise PaymentError("provider-refused", detail=str(exc)) from exc
    with transaction.atomic(durable=True):
        locked = TopUp.objects.select_for_update().get(pk=topup.pk)
        if not locked.checkout_url:
            locked.provider_payment_id = result.provider_payment_id
            locked.checkout_url = result.redirect_url
            locked.save(update_fields=["provider_payment_id", "checkout_url", "updated_at"])
            _event(
                topup=locked,
                source=PaymentEvent.Source.RETURN,
                outcome=Outcome.RECORDED,
                event_type="start",
                amount=topup.gross,
                currency=topup.currency,
                payload=result.raw,
            )
    return locked


def _record_call_failure(*, topup: TopUp, exc: GatewayError, what: str) -> None:
    with transaction.atomic(durable=True):
        _event(
            topup=topup,
            source=PaymentEvent.Source.RETURN,
            outcome=Outcome.RECORDED,
            event_type=what,
            detail=str(exc)[:300],
            payload=exc.raw,
        )


# --- Settling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """Money a source says arrived (or a state it reports) for a top-up."""

    source: str  # PaymentEvent.Source
    status: PaymentStatus
    amount: Decimal | None
    currency: str
    provider_payment_id: str = ""
    provider_charge_id: str = ""
    event_id: str = ""  # a verified provider event's id ("" for return/reconcile/statement)
    event_type: str = ""
    payload: Mapping = field(default_factory=dict)
    actor: object = None

    @classmethod
    def from_result(cls, result: GatewayResult, *, source: str) -> Settlement:
        return cls(
            source=source,
            status=result.status,
            amount=result.amount,
            currency=result.currency,
            provider_payment_id=result.provider_payment_id,
            provider_charge_id=result.provider_charge_id,
            event_type=str(result.status),
            payload=result.raw,
        )

    @classmethod
    def from_notification(cls, note: Notification, status: PaymentStatus) -> Settlement:
        return cls(
            source=PaymentEvent.Source.WEBHOOK,
            status=status,
            amount=note.amount,
            currency=note.currency,
            provider_payment_id=note.provider_payment_id,
            provider_charge_id=note.provider_charge_id,
            event_id=note.event_id,
            event_type=note.event_type,
            payload=note.raw,
        )


@dataclass(frozen=True)
class Settled:
    """What a settlement did: `credited` is True only for the one call that posted."""

    topup: TopUp
    credited: bool = False
    duplicate: bool = False
    check: str = ""


def _event(*, topup: TopUp | None, provider: str = "", **fields) -> PaymentEvent:
    return PaymentEvent.objects.create(
        topup=topup, provider=provider or (topup.method if topup else ""), **fields
    )


def _event_once(*, topup: TopUp, settlement: Settlement, outcome: str, check: str = "", detail=""):
    """Record the settlement's event; None when its verified event id was seen before."""
    fields = {
        "topup": topup,
        "provider": topup.method,
        "source": settlement.source,
        "event_id": settlement.event_id,
        "event_type": settlement.event_type,
        "verified": bool(settlement.event_id),
        "outcome": outcome,
        "failed_check": check,
        "detail": str(detail)[:300],
        "amount": settlement.amount,
        "currency": settlement.currency,
        "payload": dict(settlement.payload),
    }
    # The top-up is locked: a second delivery of this event waits for the first to commit
    # and then finds its row here (the unique index stays the guard underneath).
    if settlement.event_id and event_seen(topup.method, settlement.event_id):
        return None
    return PaymentEvent.objects.create(**fields)


def event_seen(provider: str, event_id: str) -> bool:
    """Whether the provider's verified event `event_id` is on record already."""
    return PaymentEvent.objects.filter(provider=provider, event_id=event_id, verified=True).exists()


def _mismatch(topup: TopUp, settlement: Settlement) -> tuple[str, str]:
    expected = money_display(topup.gross, topup.currency)
    if (settlement.currency or "").upper() != topup.currency:
        return Check.WRONG_CURRENCY, _("Expected %(expected)s, received %(received)s.") % {
            "expected": expected,
            "received": f"{settlement.amount} {settlement.currency or '—'}",
        }
    if settlement.amount is None or Decimal(settlement.amount) != topup.gross:
        received = (
            money_display(settlement.amount, topup.currency)
            if settlement.amount is not None
            else "—"
        )
        return Check.WRONG_AMOUNT, _("Expected %(expected)s, received %(received)s.") % {
            "expected": expected,
            "received": received,
        }
    return "", ""


def _locking():
    return TopUp.objects.select_for_update(of=("self", "reseller")).select_related("reseller")


def topup_lock(topup_id: int) -> TopUp:
    """Lock the top-up and its reseller in one statement (always in this order: top-up,
    then reseller). The reseller's lock keeps an approval from moving `pending` to sales
    credit while this top-up decides which of the two it credits."""
    return _locking().get(pk=topup_id)


@transaction.atomic(durable=True)
def topup_settle(
    *, settlement: Settlement, topup_id: int | None = None, match: Q | None = None
) -> Settled | None:
    """Apply what a source says about a top-up: credit it when paid (checked), or move it to
    pending, failed or expired. Idempotent: a replayed event, a second source for the same
    payment, or a payment already credited changes nothing.

    The top-up is `topup_id`, or the first that `match` finds (a notification names it by our
    reference or the provider's ids): found and locked in one statement; None when there is
    none."""
    if topup_id is not None:
        topup = topup_lock(topup_id)
    else:
        topup = _locking().filter(match).order_by("id").first()
        if topup is None:
            return None
    if settlement.status == PaymentStatus.PAID:
        return topup_fulfil_locked(topup, settlement)
    new_status = {
        PaymentStatus.PENDING: TopUp.Status.PENDING,
        PaymentStatus.FAILED: TopUp.Status.FAILED,
        PaymentStatus.EXPIRED: TopUp.Status.EXPIRED,
    }.get(settlement.status)
    applies = new_status is not None and topup.is_open and topup.status != new_status
    if settlement.status == PaymentStatus.PENDING and topup.status == TopUp.Status.PENDING:
        applies = False
    event = _event_once(
        topup=topup,
        settlement=settlement,
        outcome=Outcome.APPLIED if applies else Outcome.RECORDED,
    )
    if event is None:
        return Settled(topup=topup, duplicate=True)
    if applies:
        topup.status = new_status
        _provider_ids(topup, settlement)
        topup.save(
            update_fields=["status", "provider_payment_id", "provider_charge_id", "updated_at"]
        )
    return Settled(topup=topup)


def _provider_ids(topup: TopUp, settlement: Settlement) -> None:
    if settlement.provider_payment_id and not topup.provider_payment_id:
        topup.provider_payment_id = settlement.provider_payment_id
    if settlement.provider_charge_id:
        topup.provider_charge_id = settlement.provider_charge_id


def topup_fulfil_locked(topup: TopUp, settlement: Settlement) -> Settled:
    """The fulfilment, for a caller that locked `topup` (topup_lock) in its own transaction:
    check, record the event once, post, mark paid."""
    check, detail = _mismatch(topup, settlement)
    if check:
        event = _event_once(
            topup=topup, settlement=settlement, outcome=Outcome.REJECTED, check=check, detail=detail
        )
        if event is not None and not topup.attention:
            # Paid at the provider, but not what was ordered: staff decide (refund it).
            topup.attention = _("Paid, but the payment did not match the order: %(detail)s") % {
                "detail": detail
            }
            topup.save(update_fields=["attention", "updated_at"])
        return Settled(topup=topup, duplicate=event is None, check=check)
    if topup.status in (TopUp.Status.PAID, TopUp.Status.REFUNDED):
        event = _event_once(topup=topup, settlement=settlement, outcome=Outcome.RECORDED)
        return Settled(topup=topup, duplicate=event is None)
    event = _event_once(topup=topup, settlement=settlement, outcome=Outcome.APPLIED)
    if event is None:
        return Settled(topup=topup, duplicate=True)
    reseller = topup.reseller  # locked with the top-up (topup_lock)
    txn = _post_topup(topup=topup, reseller=reseller, actor=settlement.actor)
    topup.status = TopUp.Status.PAID
    topup.paid_at = timezone.now()
    topup.ledger_transaction = txn
    topup.credited_kind = txn.metadata.get("credited", "")
    _provider_ids(topup, settlement)
    topup.save(
        update_fields=[
            "status",
            "paid_at",
            "ledger_transaction",
            "credited_kind",
            "provider_payment_id",
            "provider_charge_id",
            "updated_at",
        ]
    )
    audit_record(
        actor=settlement.actor,
        action="topup.paid",
        reseller=reseller,
        obj=topup,
        data={
            "amount": str(topup.net),
            "currency": topup.currency,
            "method": topup.method,
            "source": settlement.source,
        },
    )
    topup_invoice_issue(topup=topup, actor=settlement.actor)
    enqueue_on_commit("payments.tasks.topup_paid_mail", topup.pk)
    if topup.credited_kind == Kind.SALES_CREDIT and _payments_waiting(reseller):
        # Customers' payments waited for this sales credit: credit them now.
        enqueue_on_commit("payments.tasks.customer_payments_fund", reseller.pk)
    return Settled(topup=topup, credited=True)


def _payments_waiting(reseller: Reseller) -> bool:
    return CustomerPayment.objects.filter(
        reseller=reseller, status=CustomerPayment.Status.NEEDS_FUNDS
    ).exists()


def topup_paid_mail(*, topup_id: int) -> None:
    """Tell the reseller the money arrived, in its language (run by a task after the
    posting committed: nothing is rendered while the top-up is locked)."""
    topup = TopUp.objects.select_related("reseller").get(pk=topup_id)
    reseller = topup.reseller
    with translation.override(reseller.language or settings.LANGUAGE_CODE):
        get_adapter().send_mail(
            "payments/email/topup_paid",
            reseller.contact_email,
            {
                "reseller": reseller,
                "topup": topup,
                "credited": money_display(topup.net, topup.currency),
                "gross": money_display(topup.gross, topup.currency),
                "pending_approval": topup.credited_kind == Kind.PENDING,
                "url": portal_url(reverse("payments:topup-detail", args=[topup.pk])),
            },
        )


def _post_topup(*, topup: TopUp, reseller: Reseller, actor) -> LedgerTransaction:
    """Clearing (or bank) → the reseller's sales credit for the net (`pending` before
    approval), VAT payable for the VAT: one transaction, gross = net + VAT."""
    credit_kind = Kind.PENDING if reseller.is_pending_approval else Kind.SALES_CREDIT
    credit = reseller_account(reseller=reseller, kind=credit_kind, currency=topup.currency)
    legs = [(OperatorAccount(CLEARING[topup.method]), -topup.gross), (credit, topup.net)]
    if topup.vat:
        legs.append((OperatorAccount(Kind.VAT_PAYABLE), topup.vat))
    return ledger_post(
        kind=LedgerTransaction.Kind.TOPUP,
        currency=topup.currency,
        legs=legs,
        idempotency_key=f"topup:{topup.pk}",
        savepoint=False,  # crediting cannot be refused; any error rolls the fulfilment back
        scope=f"reseller:{reseller.pk}",
        actor=actor,
        reseller=reseller,
        # The reference: the same in every language the cashbook is read in.
        memo=topup.reference,
        metadata={
            "topup": topup.pk,
            "reference": topup.reference,
            "method": topup.method,
            "credited": str(credit_kind),
        },
    )


def topup_unknown_event(*, provider: str, settlement: Settlement, detail: str = "") -> bool:
    """Keep a verified event about a payment we do not know (no credit). False when the
    event was recorded before."""
    fields = {
        "topup": None,
        "provider": provider,
        "source": settlement.source,
        "event_id": settlement.event_id,
        "event_type": settlement.event_type,
        "verified": bool(settlement.event_id),
        "outcome": Outcome.REJECTED,
        "failed_check": Check.UNKNOWN_ORDER,
        "detail": detail[:300],
        "amount": settlement.amount,
        "currency": settlement.currency,
        "payload": dict(settlement.payload),
    }
    try:
        with transaction.atomic(durable=True):
            PaymentEvent.objects.create(**fields)
    except IntegrityError:
        return False
    return True


# --- The payer's return, and asking the provider ----------------------------------------------


def topup_refresh(*, topup: TopUp, source: str) -> Settled:
    """Ask the provider where the payment stands and settle accordingly: PayPal's approved
    order is captured (PayPal-Request-Id makes a second capture a no-op). Used by the return
    page, the reconciliation job and the approval webhook."""
    if topup.method == Method.BANK or not topup.provider_payment_id:
        return Settled(topup=topup)
    adapter = gateway(topup.method)
    result = adapter.fetch(provider_payment_id=topup.provider_payment_id)
    if result.status == PaymentStatus.APPROVED:
        result = adapter.confirm(
            provider_payment_id=topup.provider_payment_id,
            idempotency_key=f"topup-capture-{topup.reference}",
        )
    if result.status in (PaymentStatus.CREATED, PaymentStatus.APPROVED):
        return Settled(topup=topup)
    return topup_settle(topup_id=topup.pk, settlement=Settlement.from_result(result, source=source))
