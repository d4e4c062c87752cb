"""A customer pays by card for credit its reseller sells: through the operator's Stripe.

Who is paid: the customer pays the OPERATOR (Stripe Checkout, the same adapter as the
resellers' card top-ups) for credit the reseller sells. Offered when Stripe is configured
(`method_available("stripe")`) and the reseller takes no PayPal payments of its own (no
enabled ResellerPaypal): the issue's "for resellers without PayPal".

The money, when Stripe says the payment is paid (webhook or the customer's return page,
whichever comes first; the payment row is locked and every verified event id is stored once,
on PaymentEvent.customer_payment, so a replay does nothing):

1. funding, in the transaction that marks the payment `paid`: Dr the operator's
   clearing_stripe / Cr the reseller's sales credit, the amount (kind TOPUP, key
   `customer-card:<id>`, metadata {"customer_payment": id}). No VAT is split off here: the
   operator received the price of a recharge, which the recharge itself accounts for.
2. after commit, `customer_payment_credit` makes the recharge (Dr sales credit / Cr the
   customer's balance, commission as on any sale). The sales credit was just funded with
   the same amount, so a card payment never waits for funds; the beat job
   `customer_payments_retry` credits one whose process died between 1 and 2.

A full refund or chargeback (Stripe charge.refunded / charge.dispute.created), in one durable
transaction with the payment locked: `customer_payment_reverse_locked` reverses the sale
(customer balance back to the sales credit, commission clawed back or owed), then the card
money is given back: Dr the reseller's sales credit / Cr clearing_stripe, the amount (kind
REVERSAL, key `customer-card-refund:<id>`). When the customer's balance was spent the
payment is flagged, but the card money is gone all the same: the refund is still taken from
the sales credit when that covers it; otherwise nothing is posted and the payment stays
flagged with an attention text for staff. A partial refund or dispute only flags the payment
for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from audit.services import audit_record
from core.errors import CodedError
from core.money import money_display
from customers.models import Customer
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import InsufficientFunds, OperatorAccount, ledger_post, reseller_account
from payments.gateways.base import (
    EventKind,
    GatewayError,
    Notification,
    PaymentRequest,
    PaymentStatus,
)
from payments.gateways.registry import gateway
from payments.models import CustomerPayment, PaymentEvent
from payments.services.customer_checkout import card_available, customer_payment_open
from payments.services.customer_payments import (
    customer_payment_credit,
    customer_payment_flag_locked,
    customer_payment_lock,
    customer_payment_reverse_locked,
)
from payments.services.topups import Settlement
from resellers.models import Reseller

Kind = LedgerAccount.Kind
Status = CustomerPayment.Status
Outcome = PaymentEvent.Outcome
Check = PaymentEvent.Check
STRIPE = CustomerPayment.Provider.STRIPE

# Waiting for the card payment: what Stripe says may still move it.
OPEN = (Status.CREATED, Status.PENDING)
# Money Stripe says arrived is funded and credited from these (an expired one too: as with
# top-ups, money that arrived is never left behind).
FUNDABLE = (*OPEN, Status.EXPIRED)


class CustomerCardError(CodedError):
    code = "customer-card"
    message = gettext_lazy("This card payment cannot be made.")
    messages = {
        "provider-unavailable": gettext_lazy(
            "The payment provider could not be reached. Nothing was charged; please try again "
            "in a few minutes."
        ),
        "provider-refused": gettext_lazy("The payment provider refused the payment."),
    }


# --- Offering and opening ---------------------------------------------------------------------


def customer_card_available(*, reseller: Reseller) -> bool:
    """Whether the reseller's customers may pay by card (customer_checkout.card_available)."""
    return card_available(reseller=reseller)


def customer_card_open(*, customer: Customer, amount, form_key: str) -> CustomerPayment:
    """Open the customer's card payment (status created): the portal's one way of opening a
    customer's payment (customer_checkout.customer_payment_open) with the card as provider.
    The same form sent twice (`form_key`) answers the payment it opened the first time."""
    return customer_payment_open(
        customer=customer, amount=amount, provider=STRIPE, form_key=form_key
    )


def customer_card_start(
    *, payment: CustomerPayment, success_url: str, cancel_url: str
) -> CustomerPayment:
    """Create the Checkout Session (outside any transaction) and keep its id and address on
    the payment. `{reference}` in either address becomes the payment's reference."""
    if payment.checkout_url or payment.status not in OPEN:
        return payment
    request = PaymentRequest(
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        description=_("Credit for %(phone)s") % {"phone": payment.customer.phone},
        success_url=success_url.replace("{reference}", payment.reference),
        cancel_url=cancel_url.replace("{reference}", payment.reference),
        idempotency_key=f"customer-card-start-{payment.reference}",
        locale=(payment.customer.language or "")[:2],
    )
    try:
        result = gateway(STRIPE).start(request)
    except GatewayError as exc:
        with transaction.atomic(durable=True):
            _event(
                payment,
                source=PaymentEvent.Source.RETURN,
                outcome=Outcome.RECORDED,
                event_type="start",
                detail=str(exc)[:300],
                payload=exc.raw,
            )
        raise CustomerCardError(
            "provider-unavailable" if exc.transient else "provider-refused"
        ) from exc
    with transaction.atomic(durable=True):
        locked = customer_payment_lock(payment.pk)
        if not locked.checkout_url:
            locked.checkout_id = result.provider_payment_id
            locked.checkout_url = result.redirect_url
            locked.save(update_fields=["checkout_id", "checkout_url", "updated_at"])
            _event(
                locked,
                source=PaymentEvent.Source.RETURN,
                outcome=Outcome.RECORDED,
                event_type="start",
                amount=locked.amount,
                currency=locked.currency,
                payload=result.raw,
            )
    return locked


def _event(payment: CustomerPayment, **fields) -> PaymentEvent:
    return PaymentEvent.objects.create(
        topup=None, customer_payment=payment, provider=STRIPE, **fields
    )


def _event_once(payment: CustomerPayment, settlement: Settlement, outcome: str, **extra):
    """Record the settlement's event; None when its verified event id was seen before (the
    payment is locked, so a second delivery waits for the first and finds its row; the
    unique index on provider + event id stays the guard underneath)."""
    if (
        settlement.event_id
        and PaymentEvent.objects.filter(
            provider=STRIPE, event_id=settlement.event_id, verified=True
        ).exists()
    ):
        return None
    return _event(
        payment,
        source=settlement.source,
        event_id=settlement.event_id,
        event_type=settlement.event_type,
        verified=bool(settlement.event_id),
        outcome=outcome,
        amount=settlement.amount,
        currency=settlement.currency,
        payload=dict(settlement.payload),
        **extra,
    )


def _mismatch(payment: CustomerPayment, settlement: Settlement) -> tuple[str, str]:
    expected = money_display(payment.amount, payment.currency)
    received = f"{settlement.amount} {settlement.currency or '—'}"
    if (settlement.currency or "").upper() != payment.currency:
        return Check.WRONG_CURRENCY, _("Expected %(expected)s, received %(received)s.") % {
            "expected": expected,
            "received": received,
        }
    if settlement.amount is None or Decimal(settlement.amount) != payment.amount:
        return Check.WRONG_AMOUNT, _("Expected %(expected)s, received %(received)s.") % {
            "expected": expected,
            "received": received,
        }
    return "", ""


# --- Settling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardSettled:
    payment: CustomerPayment
    paid: bool = False  # True only for the one call that funded it
    duplicate: bool = False
    check: str = ""


def customer_card_settle(*, payment_id: int, settlement: Settlement) -> CardSettled:
    """Apply what Stripe says about the payment (webhook or return page): when paid
    (checked), fund the sales credit and mark it paid; then, after that commit, credit it as
    a recharge. Idempotent: a replayed event or a second source changes nothing."""
    settled = _settle(payment_id=payment_id, settlement=settlement)
    if settled.payment.status in CustomerPayment.WAITING:
        payment = customer_payment_credit(payment_id=payment_id)
        settled = CardSettled(
            payment=payment, paid=settled.paid, duplicate=settled.duplicate, check=settled.check
        )
    return settled


@transaction.atomic(durable=True)
def _settle(*, payment_id: int, settlement: Settlement) -> CardSettled:
    payment = customer_payment_lock(payment_id)
    if settlement.status == PaymentStatus.PAID:
        return _paid_locked(payment, settlement)
    new_status = {
        PaymentStatus.PENDING: Status.PENDING,
        # Stripe's session expired, or the delayed method failed: the money will not come.
        PaymentStatus.FAILED: Status.EXPIRED,
        PaymentStatus.EXPIRED: Status.EXPIRED,
    }.get(settlement.status)
    applies = new_status is not None and payment.status in OPEN and payment.status != new_status
    event = _event_once(payment, settlement, Outcome.APPLIED if applies else Outcome.RECORDED)
    if event is None:
        return CardSettled(payment=payment, duplicate=True)
    if applies:
        payment.status = new_status
        payment.save(update_fields=["status", "updated_at"])
    return CardSettled(payment=payment)


def _paid_locked(payment: CustomerPayment, settlement: Settlement) -> CardSettled:
    check, detail = _mismatch(payment, settlement)
    if check:
        event = _event_once(
            payment, settlement, Outcome.REJECTED, failed_check=check, detail=detail[:300]
        )
        if event is not None and not payment.attention:
            # Paid at Stripe, but not what was ordered: nothing is credited; staff decide.
            payment.attention = (
                _("Paid, but the payment did not match the order: %(detail)s") % {"detail": detail}
            )[:300]
            payment.save(update_fields=["attention", "updated_at"])
            audit_record(
                actor=None,
                action="customer_payment.mismatch",
                reseller=payment.reseller,
                obj=payment,
                data={"check": check, "detail": detail},
            )
        return CardSettled(payment=payment, duplicate=event is None, check=check)
    if payment.status not in FUNDABLE:
        event = _event_once(payment, settlement, Outcome.RECORDED)
        return CardSettled(payment=payment, duplicate=event is None)
    event = _event_once(payment, settlement, Outcome.APPLIED)
    if event is None:
        return CardSettled(payment=payment, duplicate=True)
    reseller = payment.reseller
    payment.funding = ledger_post(
        kind=LedgerTransaction.Kind.TOPUP,
        currency=payment.currency,
        legs=[
            (OperatorAccount(Kind.CLEARING_STRIPE), -payment.amount),
            (
                reseller_account(
                    reseller=reseller, kind=Kind.SALES_CREDIT, currency=payment.currency
                ),
                payment.amount,
            ),
        ],
        idempotency_key=f"customer-card:{payment.pk}",
        savepoint=False,  # funding cannot be refused; any error rolls the settlement back
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
        memo=payment.reference,
        metadata={
            "customer_payment": payment.pk,
            "reference": payment.reference,
            "method": STRIPE,
        },
    )
    payment.status = Status.PAID
    payment.paid_at = timezone.now()
    # The payment intent: refunds and disputes name it, and it keys the recharge.
    payment.provider_payment_id = (
        settlement.provider_charge_id or payment.provider_payment_id or payment.checkout_id
    )
    payment.attention = ""
    payment.save(
        update_fields=[
            "status",
            "paid_at",
            "provider_payment_id",
            "funding",
            "attention",
            "updated_at",
        ]
    )
    audit_record(
        actor=None,
        action="customer_payment.paid",
        reseller=reseller,
        obj=payment,
        data={
            "amount": str(payment.amount),
            "currency": payment.currency,
            "provider": STRIPE,
            "source": settlement.source,
            "transaction_id": payment.funding_id,
        },
    )
    return CardSettled(payment=payment, paid=True)


def customer_card_refresh(*, payment: CustomerPayment, source: str) -> CustomerPayment:
    """Ask Stripe where the Checkout Session stands and settle accordingly (the customer's
    return page, so the credit shows even when the webhook is late). GatewayError when
    Stripe cannot be reached."""
    if payment.status not in OPEN or not payment.checkout_id:
        return payment
    result = gateway(STRIPE).fetch(provider_payment_id=payment.checkout_id)
    if result.status in (PaymentStatus.CREATED, PaymentStatus.APPROVED):
        return payment
    settlement = Settlement.from_result(result, source=source)
    return customer_card_settle(payment_id=payment.pk, settlement=settlement).payment


# --- Webhooks ---------------------------------------------------------------------------------


def customer_card_match(note: Notification) -> CustomerPayment | None:
    """The card payment a Stripe notification is about: by our reference (a session's
    client_reference_id, a charge's metadata), the session id or the payment intent."""
    if note.provider != STRIPE:
        return None
    ids = {value for value in (note.provider_payment_id, note.provider_charge_id) if value}
    payments = CustomerPayment.objects.filter(provider=STRIPE)
    if note.reference and note.reference.startswith("CP"):
        found = payments.filter(reference=note.reference).first()
        if found is not None:
            return found
    for value in ids:
        found = (
            payments.filter(checkout_id=value).first()
            or payments.filter(provider_payment_id=value).first()
        )
        if found is not None:
            return found
    return None


def customer_card_notification(*, payment: CustomerPayment, note: Notification) -> str:
    """Apply a verified Stripe notification about a card payment: "applied", "duplicate"
    or "rejected" (a check failed)."""
    if note.kind in (EventKind.REFUNDED, EventKind.CHARGEBACK):
        return customer_card_taken_back(payment_id=payment.pk, note=note)
    status = {
        EventKind.PAID: PaymentStatus.PAID,
        EventKind.PENDING: PaymentStatus.PENDING,
        EventKind.FAILED: PaymentStatus.FAILED,
        EventKind.EXPIRED: PaymentStatus.EXPIRED,
    }.get(note.kind)
    if status is None:
        return "ignored"
    settled = customer_card_settle(
        payment_id=payment.pk, settlement=Settlement.from_notification(note, status)
    )
    if settled.duplicate:
        return "duplicate"
    return "rejected" if settled.check else "applied"


# --- Refunds and chargebacks ------------------------------------------------------------------


@transaction.atomic(durable=True)
def customer_card_taken_back(*, payment_id: int, note: Notification) -> str:
    """A refund or chargeback of the customer's card payment: reverse the sale, then give
    the card money back out of the reseller's sales credit (see the module's docstring)."""
    payment = customer_payment_lock(payment_id)
    chargeback = note.kind == EventKind.CHARGEBACK
    settlement = Settlement(
        source=PaymentEvent.Source.WEBHOOK,
        status=PaymentStatus.PAID,
        amount=note.amount if chargeback else note.refunded_total,
        currency=note.currency,
        provider_charge_id=note.provider_charge_id,
        event_id=note.event_id,
        event_type=note.event_type,
        payload=note.raw,
    )
    if _event_once(payment, settlement, Outcome.APPLIED) is None:
        return "duplicate"
    taken = settlement.amount
    what = (
        pgettext("money taken back", "Chargeback")
        if chargeback
        else pgettext("money taken back", "Refund")
    )
    if payment.funding_id is None:
        # Never funded (its paid event never came): nothing to give back; not credited.
        customer_payment_reverse_locked(payment, reason=note.event_type)
        return "applied"
    if taken is None or (note.currency or "").upper() != payment.currency or taken < payment.amount:
        return _attention(
            payment,
            _(
                "%(what)s of %(taken)s on a card payment of %(amount)s: only a full refund is "
                "handled automatically; check the sale and the sales credit by hand."
            )
            % {
                "what": what,
                "taken": f"{taken} {note.currency}",
                "amount": money_display(payment.amount, payment.currency),
            },
        )
    if payment.status == Status.REVERSED and _refund_posted(payment):
        return "duplicate"
    sale_reversed = customer_payment_reverse_locked(payment, reason=note.event_type)
    posted = _post_refund(payment)
    if posted and sale_reversed:
        return "applied"
    if not posted:
        left = _(
            "%(what)s: the card payment of %(amount)s went back to the customer, but the "
            "reseller's sales credit does not cover it; nothing was taken back from the "
            "reseller."
        ) % {"what": what, "amount": money_display(payment.amount, payment.currency)}
    else:
        left = _(
            "%(what)s: the card payment of %(amount)s went back to the customer and was taken "
            "from the reseller's sales credit."
        ) % {"what": what, "amount": money_display(payment.amount, payment.currency)}
    return _attention(payment, f"{left} {payment.attention}".strip())


def _refund_posted(payment: CustomerPayment) -> bool:
    return LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.REVERSAL,
        metadata__customer_payment=payment.pk,
        metadata__refund=True,
    ).exists()


def _post_refund(payment: CustomerPayment) -> bool:
    """Dr the reseller's sales credit / Cr clearing_stripe: the card money given back. False
    (nothing posted) when the sales credit does not cover it."""
    reseller = payment.reseller
    try:
        ledger_post(
            kind=LedgerTransaction.Kind.REVERSAL,
            currency=payment.currency,
            legs=[
                (
                    reseller_account(
                        reseller=reseller, kind=Kind.SALES_CREDIT, currency=payment.currency
                    ),
                    -payment.amount,
                ),
                (OperatorAccount(Kind.CLEARING_STRIPE), payment.amount),
            ],
            idempotency_key=f"customer-card-refund:{payment.pk}",
            scope=f"reseller:{reseller.pk}",
            reseller=reseller,
            memo=payment.reference,
            metadata={"customer_payment": payment.pk, "refund": True, "method": STRIPE},
        )
    except InsufficientFunds:
        return False
    return True


def _attention(payment: CustomerPayment, text: str) -> str:
    customer_payment_flag_locked(payment, attention=text)
    return "applied"
