"""The gateway interface: one small protocol every payment provider's adapter speaks.

An adapter knows its provider's wire format and nothing of our models: it takes plain values
(`PaymentRequest`, ids, amounts) and answers plain values (`GatewayResult`, `RefundResult`,
`Notification`). The services in `payments.services` decide what a result means for a top-up
and post money; an adapter never touches the database. Adapters are called outside any
database transaction (STYLE, rule 4) and raise `GatewayError` for a provider they could not
reach or that refused the call, `NotificationRejected` for a notification that fails
verification.

Amounts are `Decimal` in major units (100.00 EUR), currencies ISO 4217 upper case; an adapter
converts to the provider's minor units and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class PaymentStatus(StrEnum):
    """Where a payment stands at the provider, in our words."""

    CREATED = "created"  # started; the payer has not finished (Stripe open, PayPal CREATED)
    APPROVED = "approved"  # the payer approved; we must still capture (PayPal APPROVED)
    PENDING = "pending"  # paid but not settled (async method, PayPal capture PENDING)
    PAID = "paid"  # the money is ours
    FAILED = "failed"  # declined / denied / async payment failed
    EXPIRED = "expired"  # the payer never finished (Stripe session expired, PayPal voided)


class EventKind(StrEnum):
    """What a verified notification tells us, normalised across providers."""

    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"
    EXPIRED = "expired"
    APPROVED = "approved"  # PayPal CHECKOUT.ORDER.APPROVED: capture now
    REFUNDED = "refunded"  # the provider refunded (by us or on its dashboard)
    CHARGEBACK = "chargeback"  # a dispute took money back
    IGNORED = "ignored"  # a verified event we do not act on


@dataclass(frozen=True)
class PaymentRequest:
    """What a top-up asks a provider to collect."""

    reference: str  # our top-up's reference (Stripe client_reference_id, PayPal custom_id)
    amount: Decimal  # gross, major units
    currency: str
    description: str
    success_url: str  # Stripe: may contain {CHECKOUT_SESSION_ID}
    cancel_url: str
    idempotency_key: str  # Stripe Idempotency-Key / PayPal PayPal-Request-Id
    payer_email: str = ""
    locale: str = ""  # "de", "fr", "pl", "en"


@dataclass(frozen=True)
class GatewayResult:
    """A payment as the provider sees it."""

    status: PaymentStatus
    amount: Decimal | None  # what the provider collected (or will); None if it did not say
    currency: str
    provider_payment_id: str  # Stripe checkout session id, PayPal order id
    provider_charge_id: str = ""  # Stripe payment_intent id, PayPal capture id
    reference: str = ""  # our reference as the provider echoes it back
    redirect_url: str = ""  # where to send the payer (hosted checkout / approve link)
    raw: Mapping = field(default_factory=dict)  # the provider's answer, kept on the event log


@dataclass(frozen=True)
class RefundResult:
    provider_refund_id: str
    status: str  # "succeeded", "pending" or "failed"
    amount: Decimal
    currency: str
    raw: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A webhook whose signature checked out, normalised.

    `provider_payment_id` / `provider_charge_id` / `reference` say which payment it is about
    (whichever the event carries; the service looks the top-up up by any of them).
    For REFUNDED, `refunded_total` is the provider's cumulative refunded amount of the charge
    (Stripe charge.amount_refunded; PayPal's total_refunded_amount), so a refund we asked for
    ourselves and its webhook are never counted twice. For CHARGEBACK, `amount` is the
    disputed amount and `dispute_id` names the dispute.
    """

    provider: str
    event_id: str
    event_type: str  # the provider's own name: "checkout.session.completed", ...
    kind: EventKind
    provider_payment_id: str = ""
    provider_charge_id: str = ""
    reference: str = ""
    amount: Decimal | None = None
    currency: str = ""
    refunded_total: Decimal | None = None
    dispute_id: str = ""
    raw: Mapping = field(default_factory=dict)


class GatewayError(Exception):
    """The provider could not be reached, or refused the call. `transient`: worth retrying."""

    def __init__(self, message: str, *, transient: bool = False, raw: Mapping | None = None):
        super().__init__(message)
        self.transient = transient
        self.raw = raw or {}


class NotificationRejected(Exception):
    """A notification that failed verification. `reason` is one of the REASONS codes."""

    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"
    REASONS = (BAD_SIGNATURE, MALFORMED)

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Gateway(Protocol):
    """A payment provider. `name` is the registry key ("stripe", "paypal", "bank")."""

    name: str

    def start(self, request: PaymentRequest) -> GatewayResult:
        """Create the payment at the provider; the result's redirect_url is where the payer
        goes next (empty for a method with no hosted page, like bank transfer)."""
        ...

    def confirm(self, *, provider_payment_id: str, idempotency_key: str) -> GatewayResult:
        """Finish a payment the payer approved (PayPal: capture the order). For a provider
        that needs no confirmation (Stripe Checkout) this is `fetch`."""
        ...

    def fetch(self, *, provider_payment_id: str) -> GatewayResult:
        """The payment's current state at the provider."""
        ...

    def refund(
        self, *, provider_charge_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Refund `amount` (major units) of a settled charge."""
        ...

    def verify_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Check a webhook's signature on the raw body and normalise it; raise
        NotificationRejected when it does not verify or cannot be read."""
        ...
