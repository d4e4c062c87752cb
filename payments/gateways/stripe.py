"""Stripe, through the `stripe` SDK: Checkout Sessions in payment mode, refunds, webhooks.

The payer pays on Stripe's hosted Checkout page; the session id is our `provider_payment_id`
and its payment intent our `provider_charge_id` (refunds and disputes name the intent). A
webhook is trusted only after `stripe.Webhook.construct_event` checked its signature on the
raw body; the amount a notification reports is Stripe's `amount_total`, never anything the
payer's browser sent.

`STRIPE_API_BASE` points the client elsewhere than api.stripe.com: the loopback fake
(`payments.fakes.stripe`) in `make run` and the tests, so the SDK's own code runs there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import stripe
from django.conf import settings

from core.money import InvalidAmount, minor_digits, to_minor_unit
from payments.gateways.base import (
    EventKind,
    GatewayError,
    GatewayResult,
    Notification,
    NotificationRejected,
    PaymentRequest,
    PaymentStatus,
    RefundResult,
)

# Stripe Checkout's own languages among ours; anything else lets Stripe pick ("auto").
_LOCALES = {"de": "de", "fr": "fr", "pl": "pl", "en": "en"}

_REFUND_STATUS = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}

# An intent in one of these after an async method was chosen: the payment will not arrive.
_INTENT_FAILED = {"requires_payment_method", "canceled"}

_SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": EventKind.PAID,
    "checkout.session.async_payment_failed": EventKind.FAILED,
    "checkout.session.expired": EventKind.EXPIRED,
}


class StripeGateway:
    """The `Gateway` for Stripe. Without arguments it reads the STRIPE_* settings; tests pass
    the fake's address and secrets instead."""

    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        timeout: float | None = None,
        max_network_retries: int | None = None,
        tolerance: int = stripe.Webhook.DEFAULT_TOLERANCE,
    ):
        self.api_key = settings.STRIPE_SECRET_KEY if api_key is None else api_key
        self.api_base = (settings.STRIPE_API_BASE if api_base is None else api_base).rstrip("/")
        self.webhook_secret = (
            settings.STRIPE_WEBHOOK_SECRET if webhook_secret is None else webhook_secret
        )
        self.tolerance = tolerance  # seconds a signature's timestamp may be old (Stripe: 300)
        timeout = settings.PAYMENTS_HTTP_TIMEOUT if timeout is None else timeout
        self.client = stripe.StripeClient(
            api_key=self.api_key,
            base_addresses={"api": self.api_base} if self.api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.new_default_http_client(timeout=timeout),
        )

    # --- the API ------------------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> GatewayResult:
        currency = request.currency.upper()
        metadata = {"topup_reference": request.reference}
        params: dict = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": _to_minor(request.amount, currency),
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "client_reference_id": request.reference,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.payer_email:
            params["customer_email"] = request.payer_email
        if request.locale:
            params["locale"] = _LOCALES.get(request.locale.lower(), "auto")
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params,
            options={"idempotency_key": request.idempotency_key},
        )
        return _session_result(session)

    def fetch(self, *, provider_payment_id: str) -> GatewayResult:
        # The intent comes along: after a delayed method failed, only it says so (the session
        # stays complete and unpaid).
        session = self._call(
            self.client.v1.checkout.sessions.retrieve,
            provider_payment_id,
            {"expand": ["payment_intent"]},
        )
        return _session_result(session)

    def confirm(self, *, provider_payment_id: str, idempotency_key: str) -> GatewayResult:
        """Checkout needs no capture: confirming is reading the session's state."""
        return self.fetch(provider_payment_id=provider_payment_id)

    def refund(
        self, *, provider_charge_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        refund = self._call(
            self.client.v1.refunds.create,
            {
                "payment_intent": provider_charge_id,
                "amount": _to_minor(amount, currency.upper()),
            },
            options={"idempotency_key": idempotency_key},
        )
        refund_currency = str(refund.get("currency") or currency).upper()
        return RefundResult(
            provider_refund_id=refund["id"],
            status=_REFUND_STATUS.get(refund.get("status") or "", "pending"),
            amount=_to_major(refund["amount"], refund_currency),
            currency=refund_currency,
            raw=refund,
        )

    def _call(self, method, *args, **kwargs) -> dict:
        """Call the SDK and answer the object as a plain dict; Stripe's errors become
        GatewayError, transient when retrying later may succeed."""
        try:
            return method(*args, **kwargs).to_dict(for_json=True)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise _gateway_error(exc, transient=True) from exc
        except (
            stripe.CardError,
            stripe.InvalidRequestError,
            stripe.IdempotencyError,
            stripe.AuthenticationError,
            stripe.PermissionError,
        ) as exc:
            raise _gateway_error(exc, transient=False) from exc
        except stripe.StripeError as exc:
            status = exc.http_status
            raise _gateway_error(exc, transient=status is None or status >= 500) from exc

    # --- webhooks -----------------------------------------------------------------------------

    def verify_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        signature = next(
            (value for key, value in headers.items() if key.lower() == "stripe-signature"), None
        )
        if not signature:
            raise NotificationRejected(NotificationRejected.BAD_SIGNATURE, "no Stripe-Signature")
        try:
            event = stripe.Webhook.construct_event(
                body, signature, self.webhook_secret, tolerance=self.tolerance
            )
        except stripe.SignatureVerificationError as exc:
            raise NotificationRejected(NotificationRejected.BAD_SIGNATURE, str(exc)) from exc
        except (ValueError, TypeError, AttributeError) as exc:  # not JSON, not an event
            raise NotificationRejected(NotificationRejected.MALFORMED, str(exc)) from exc
        try:
            return _notification(event.to_dict(for_json=True))
        except (KeyError, TypeError, AttributeError, InvalidAmount, ValueError) as exc:
            raise NotificationRejected(NotificationRejected.MALFORMED, repr(exc)) from exc


def _notification(event: dict) -> Notification:
    """A verified event in our words. Which payment it is about comes from the event's own
    object: a session names its payment intent and our reference; a charge or a dispute names
    the intent."""
    event_type = event["type"]
    obj = event["data"]["object"]
    common = {"provider": "stripe", "event_id": event["id"], "event_type": event_type, "raw": event}
    if event_type.startswith("checkout.session."):
        if event_type == "checkout.session.completed":
            paid = obj.get("payment_status") in ("paid", "no_payment_required")
            kind = EventKind.PAID if paid else EventKind.PENDING
        else:
            kind = _SESSION_EVENTS.get(event_type, EventKind.IGNORED)
        currency = str(obj.get("currency") or "").upper()
        return Notification(
            **common,
            kind=kind,
            provider_payment_id=obj["id"],
            provider_charge_id=_id(obj.get("payment_intent")),
            reference=obj.get("client_reference_id")
            or (obj.get("metadata") or {}).get("topup_reference", ""),
            amount=_amount(obj.get("amount_total"), currency),
            currency=currency,
        )
    if event_type == "charge.refunded":
        currency = str(obj["currency"]).upper()
        return Notification(
            **common,
            kind=EventKind.REFUNDED,
            provider_charge_id=_id(obj.get("payment_intent")),
            reference=(obj.get("metadata") or {}).get("topup_reference", ""),
            currency=currency,
            refunded_total=_to_major(obj["amount_refunded"], currency),
        )
    if event_type == "charge.dispute.created":
        currency = str(obj["currency"]).upper()
        return Notification(
            **common,
            kind=EventKind.CHARGEBACK,
            provider_charge_id=_id(obj.get("payment_intent")),
            amount=_to_major(obj["amount"], currency),
            currency=currency,
            dispute_id=obj["id"],
        )
    return Notification(**common, kind=EventKind.IGNORED)


def _session_result(session: dict) -> GatewayResult:
    intent = session.get("payment_intent")
    status = {"open": PaymentStatus.CREATED, "expired": PaymentStatus.EXPIRED}.get(
        session.get("status") or "", PaymentStatus.CREATED
    )
    if session.get("status") == "complete":
        if session.get("payment_status") in ("paid", "no_payment_required"):
            status = PaymentStatus.PAID
        elif isinstance(intent, dict) and intent.get("status") in _INTENT_FAILED:
            status = PaymentStatus.FAILED
        else:
            status = PaymentStatus.PENDING
    currency = str(session.get("currency") or "").upper()
    return GatewayResult(
        status=status,
        amount=_amount(session.get("amount_total"), currency),
        currency=currency,
        provider_payment_id=session["id"],
        provider_charge_id=_id(intent),
        reference=session.get("client_reference_id") or "",
        redirect_url=session.get("url") or "",
        raw=session,
    )


def _id(value) -> str:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def _to_minor(amount: Decimal, currency: str) -> int:
    """Major units to Stripe's integer minor units (100.00 EUR → 10000), rounded half-up to
    the currency's minor unit first."""
    return int(to_minor_unit(amount, currency).scaleb(minor_digits(currency)))


def _to_major(amount_minor: int, currency: str) -> Decimal:
    return to_minor_unit(Decimal(int(amount_minor)).scaleb(-minor_digits(currency)), currency)


def _amount(amount_minor, currency: str) -> Decimal | None:
    if amount_minor is None or not currency:
        return None
    return _to_major(amount_minor, currency)


def _gateway_error(exc: stripe.StripeError, *, transient: bool) -> GatewayError:
    message = exc.user_message or str(exc) or type(exc).__name__
    return GatewayError(f"Stripe: {message}", transient=transient, raw=exc.json_body or {})
