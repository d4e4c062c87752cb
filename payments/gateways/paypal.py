"""PayPal: Orders v2 through `paypal-server-sdk`, webhooks through verify-webhook-signature.

The flow PayPal wants for a one-off payment: create an order (intent CAPTURE), send the payer
to the order's approval link, capture the order once they approved. Every write carries a
`PayPal-Request-Id`, so a retried create, capture or refund answers what the first one did
instead of paying twice.

The SDK is pointed at PayPal's sandbox or live API by `PAYPAL_ENVIRONMENT`; `PAYPAL_API_BASE`
overrides that URL (the loopback fake in `payments.fakes.paypal`), through a `Configuration`
whose `get_base_uri` answers it. The SDK has no controller for verify-webhook-signature, so
that one call goes out with `requests`, authorised by the same client-credentials token the
SDK uses: the adapter owns the token cache and hands it to the SDK as its token provider, so
one token serves both until it expires.

Amounts the adapter reports come from what PayPal collected (the capture), never from what
we asked for; the services compare them with the top-up.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_experience_user_action import PaypalExperienceUserAction
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_context_shipping_preference import (
    PaypalWalletContextShippingPreference,
)
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

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

# Currencies PayPal takes without decimals (its "currency codes" reference).
ZERO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})
# A token is renewed this long before PayPal says it expires, so no call goes out with a token
# that expires in flight.
TOKEN_MARGIN_SECONDS = 60

ORDER_STATUS = {
    "CREATED": PaymentStatus.CREATED,
    "SAVED": PaymentStatus.CREATED,
    "PAYER_ACTION_REQUIRED": PaymentStatus.CREATED,
    "APPROVED": PaymentStatus.APPROVED,
    "VOIDED": PaymentStatus.EXPIRED,
}
# A capture's status. A refunded capture was paid: refunds are their own events.
CAPTURE_STATUS = {
    "COMPLETED": PaymentStatus.PAID,
    "PARTIALLY_REFUNDED": PaymentStatus.PAID,
    "REFUNDED": PaymentStatus.PAID,
    "PENDING": PaymentStatus.PENDING,
    "DECLINED": PaymentStatus.FAILED,
    "FAILED": PaymentStatus.FAILED,
}
REFUND_STATUS = {"COMPLETED": "succeeded", "PENDING": "pending"}

CAPTURE_EVENTS = {
    "PAYMENT.CAPTURE.COMPLETED": EventKind.PAID,
    "PAYMENT.CAPTURE.PENDING": EventKind.PENDING,
    "PAYMENT.CAPTURE.DENIED": EventKind.FAILED,
    "PAYMENT.CAPTURE.DECLINED": EventKind.FAILED,
}
REFUND_EVENTS = frozenset({"PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"})
ORDER_EVENTS = {
    "CHECKOUT.ORDER.APPROVED": EventKind.APPROVED,
    "CHECKOUT.ORDER.VOIDED": EventKind.EXPIRED,
}
SIGNATURE_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}


class _Configuration(Configuration):
    """The SDK's configuration with one base URL of our choosing (the fake, a proxy)."""

    def __init__(self, *, api_base: str, **kwargs: Any):
        self._api_base = api_base.rstrip("/")
        super().__init__(**kwargs)

    def get_base_uri(self, server=Server.DEFAULT):
        return self._api_base or super().get_base_uri(server)


def paypal_value(amount: Decimal, currency: str) -> str:
    """An amount as PayPal's `value` string: two decimals, none for HUF/JPY/TWD."""
    places = Decimal("1") if currency.upper() in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return str(amount.quantize(places))


def _money(node: Any) -> tuple[Decimal | None, str]:
    """(value, currency_code) of a PayPal money object, (None, "") when it has none."""
    if not isinstance(node, Mapping):
        return None, ""
    try:
        value = Decimal(str(node.get("value")))
    except (InvalidOperation, TypeError, ValueError):
        return None, str(node.get("currency_code") or "").upper()
    return value, str(node.get("currency_code") or "").upper()


def _link(resource: Mapping, rel: str) -> str:
    for link in resource.get("links") or ():
        if isinstance(link, Mapping) and link.get("rel") == rel:
            return str(link.get("href") or "")
    return ""


def _first(items: Any) -> Mapping:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], Mapping) else {}


def _capture_of(order: Mapping) -> Mapping:
    unit = _first(order.get("purchase_units"))
    return _first((unit.get("payments") or {}).get("captures"))


def _issues(error: Mapping) -> set[str]:
    """The `issue` codes of a PayPal error answer (ORDER_NOT_APPROVED, ...)."""
    details = error.get("details") if isinstance(error.get("details"), list) else []
    return {str(detail.get("issue")) for detail in details if isinstance(detail, Mapping)}


class PayPalGateway:
    """The PayPal adapter. Without arguments it reads the PAYPAL_* settings; tests pass
    `api_base` (the fake's URL) and the fake's credentials as keywords."""

    name = "paypal"

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        webhook_id: str | None = None,
        environment: str | None = None,
        api_base: str | None = None,
        timeout: float | None = None,
    ):
        from django.conf import settings

        self.client_id = settings.PAYPAL_CLIENT_ID if client_id is None else client_id
        self.client_secret = (
            settings.PAYPAL_CLIENT_SECRET if client_secret is None else client_secret
        )
        self.webhook_id = settings.PAYPAL_WEBHOOK_ID if webhook_id is None else webhook_id
        environment = settings.PAYPAL_ENVIRONMENT if environment is None else environment
        api_base = settings.PAYPAL_API_BASE if api_base is None else api_base
        self.timeout = float(settings.PAYMENTS_HTTP_TIMEOUT if timeout is None else timeout)
        live = environment.strip().lower() in {"live", "production"}
        self.config = _Configuration(
            api_base=api_base or "",
            timeout=self.timeout,
            environment=Environment.PRODUCTION if live else Environment.SANDBOX,
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=self.client_id,
                o_auth_client_secret=self.client_secret,
                o_auth_token_provider=self._token_provider,
                o_auth_clock_skew=TOKEN_MARGIN_SECONDS,
            ),
        )
        self.api_base = self.config.get_base_uri()
        self.client = PaypalServersdkClient(config=self.config)
        self.token_client = self.client  # fetches tokens; never rebuilt
        self._token = None
        self._token_deadline = 0.0
        self._token_lock = threading.Lock()

    # --- the client-credentials token, shared by the SDK and verify-webhook-signature ---

    def _token_provider(self, _last_token, _auth_manager):
        return self._oauth_token()

    def _oauth_token(self, *, renew: bool = False):
        """PayPal's access token, fetched once and kept until shortly before it expires."""
        with self._token_lock:
            if renew or self._token is None or time.monotonic() >= self._token_deadline:
                token = self.token_client.oauth_2.fetch_token()
                lifetime = int(getattr(token, "expires_in", 0) or 0)
                self._token = token
                self._token_deadline = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0)
            return self._token

    # --- calls ---

    def _call(self, what: str, controller: str, method: str, options: dict) -> dict:
        """One SDK call (`client.<controller>.<method>(options)`); PayPal's JSON answer as a
        dict, every failure as GatewayError.

        A 401 means PayPal no longer takes our token (revoked, or expired early): the token
        is renewed and the call made once more on a new SDK client, since the SDK keeps its
        own copy of the old token until it expires. Writes carry PayPal-Request-Id, so the
        repeat cannot pay or refund twice.
        """
        renew = False
        for _attempt in (1, 2):
            try:
                if renew:
                    self._oauth_token(renew=True)
                    self.client = PaypalServersdkClient(config=self.config)
                operation = getattr(getattr(self.client, controller), method)
                return _json_or_empty(operation(options).text)
            except ApiException as error:
                status = error.response_code
                if status == 401 and not renew:
                    renew = True
                    continue
                raw = _json_or_empty(getattr(error.response, "text", ""))
                raise GatewayError(
                    f"PayPal {what}: HTTP {status} {raw.get('name') or raw.get('error') or ''}",
                    transient=status == 429 or status >= 500,
                    raw=raw,
                ) from error
            except AuthValidationException as error:
                raise GatewayError(f"PayPal {what}: no access token ({error})") from error
            except requests.RequestException as error:
                raise GatewayError(f"PayPal {what}: {error}", transient=True) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def start(self, request: PaymentRequest) -> GatewayResult:
        currency = request.currency.upper()
        experience = PaypalWalletExperienceContext(
            return_url=request.success_url,
            cancel_url=request.cancel_url,
            shipping_preference=PaypalWalletContextShippingPreference.NO_SHIPPING,
            user_action=PaypalExperienceUserAction.PAY_NOW,
            **({"locale": request.locale} if request.locale else {}),
        )
        wallet = PaypalWallet(
            experience_context=experience,
            **({"email_address": request.payer_email} if request.payer_email else {}),
        )
        body = OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[
                PurchaseUnitRequest(
                    amount=AmountWithBreakdown(
                        currency_code=currency, value=paypal_value(request.amount, currency)
                    ),
                    custom_id=request.reference,
                    invoice_id=request.reference,
                    description=request.description[:127],
                )
            ],
            payment_source=PaymentSource(paypal=wallet),
        )
        order = self._call(
            "create order",
            "orders",
            "create_order",
            {
                "body": body,
                "paypal_request_id": request.idempotency_key,
                "prefer": "return=representation",
            },
        )
        result = self._order_result(order)
        redirect = _link(order, "payer-action") or _link(order, "approve")
        if not redirect:
            raise GatewayError("PayPal create order: no approval link", raw=order)
        return GatewayResult(
            status=result.status,
            amount=result.amount if result.amount is not None else request.amount,
            currency=result.currency or currency,
            provider_payment_id=result.provider_payment_id,
            reference=result.reference or request.reference,
            redirect_url=redirect,
            raw=order,
        )

    def fetch(self, *, provider_payment_id: str) -> GatewayResult:
        order = self._call("get order", "orders", "get_order", {"id": provider_payment_id})
        return self._order_result(order)

    def confirm(self, *, provider_payment_id: str, idempotency_key: str) -> GatewayResult:
        """Capture the approved order. Captured already (by an earlier call whose answer we
        lost, or by the webhook's path) is not an error: the order's state answers."""
        try:
            order = self._call(
                "capture order",
                "orders",
                "capture_order",
                {
                    "id": provider_payment_id,
                    "paypal_request_id": idempotency_key,
                    "prefer": "return=representation",
                },
            )
        except GatewayError as error:
            if "ORDER_ALREADY_CAPTURED" in _issues(error.raw):
                return self.fetch(provider_payment_id=provider_payment_id)
            raise
        return self._order_result(order)

    def refund(
        self, *, provider_charge_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        currency = currency.upper()
        refund = self._call(
            "refund capture",
            "payments",
            "refund_captured_payment",
            {
                "capture_id": provider_charge_id,
                "body": RefundRequest(
                    amount=Money(currency_code=currency, value=paypal_value(amount, currency))
                ),
                "paypal_request_id": idempotency_key,
                "prefer": "return=representation",
            },
        )
        value, refunded_currency = _money(refund.get("amount"))
        return RefundResult(
            provider_refund_id=str(refund.get("id") or ""),
            status=REFUND_STATUS.get(str(refund.get("status")), "failed"),
            amount=value if value is not None else amount,
            currency=refunded_currency or currency,
            raw=refund,
        )

    def _order_result(self, order: Mapping) -> GatewayResult:
        """An order as a result: before capture its own amount, after it the capture's."""
        unit = _first(order.get("purchase_units"))
        order_status = str(order.get("status") or "")
        amount, currency = _money(unit.get("amount"))
        capture = _capture_of(order)
        if order_status == "COMPLETED" or capture:
            # A completed order without a capture says nothing settled: ask again later.
            status = CAPTURE_STATUS.get(str(capture.get("status")), PaymentStatus.PENDING)
            amount, currency = _money(capture.get("amount"))
        else:
            status = ORDER_STATUS.get(order_status, PaymentStatus.CREATED)
        return GatewayResult(
            status=status,
            amount=amount,
            currency=currency,
            provider_payment_id=str(order.get("id") or ""),
            provider_charge_id=str(capture.get("id") or ""),
            reference=str(unit.get("custom_id") or capture.get("custom_id") or ""),
            raw=order,
        )

    # --- webhooks ---

    def verify_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Ask PayPal whether it signed this webhook, then read it.

        PayPal signs `transmission_id|transmission_time|webhook_id|crc32(body)` with the key of
        the certificate at `cert_url`; its verify call checks that for our webhook id, so an
        event sent to another merchant's webhook, or altered on the way, answers FAILURE.
        Not reaching PayPal is a GatewayError (transient): the view answers 5xx and PayPal
        delivers again later.
        """
        try:
            text = body.decode("utf-8")
            event = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise NotificationRejected(NotificationRejected.MALFORMED, str(error)) from error
        if not isinstance(event, dict) or not event.get("event_type"):
            raise NotificationRejected(NotificationRejected.MALFORMED, "not a PayPal event")
        lowered = {str(key).lower(): value for key, value in headers.items()}
        fields = {
            name: str(lowered.get(header) or "") for name, header in SIGNATURE_HEADERS.items()
        }
        missing = sorted(name for name, value in fields.items() if not value)
        if missing:
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE, f"missing headers: {', '.join(missing)}"
            )
        if not self.webhook_id:
            raise GatewayError("PAYPAL_WEBHOOK_ID is not set: webhooks cannot be verified")
        answer = self._verify_signature({**fields, "webhook_id": self.webhook_id}, text)
        status = answer.get("verification_status")
        if status != "SUCCESS":
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE, f"verification_status {status!r}"
            )
        return normalise_event(event)

    def _verify_signature(self, fields: dict, event_text: str) -> dict:
        """POST verify-webhook-signature. The event goes in as the very text we received:
        PayPal checks the CRC of what it signed, and a parse-and-serialise round trip may
        change the bytes (number formats, escapes) of a genuine event."""
        url = f"{self.api_base}/v1/notifications/verify-webhook-signature"
        payload = f'{json.dumps(fields)[:-1]}, "webhook_event": {event_text}}}'.encode()
        response = None
        for renew in (False, True):  # a token PayPal no longer accepts is renewed once
            try:
                token = self._oauth_token(renew=renew)
                response = requests.post(
                    url,
                    data=payload,
                    headers={
                        "Authorization": f"Bearer {token.access_token}",
                        "Content-Type": "application/json",
                    },
                    timeout=self.timeout,
                )
            except ApiException as error:
                raise GatewayError(
                    f"PayPal token: HTTP {error.response_code}", transient=True
                ) from error
            except requests.RequestException as error:
                raise GatewayError(f"PayPal verify webhook: {error}", transient=True) from error
            if response.status_code != 401:
                break
        raw = _json_or_empty(response.text)
        if response.status_code == 401 or response.status_code == 429:
            raise GatewayError("PayPal verify webhook: not authorised", transient=True, raw=raw)
        if response.status_code >= 500:
            raise GatewayError(
                f"PayPal verify webhook: HTTP {response.status_code}", transient=True, raw=raw
            )
        if response.status_code >= 400:
            # PayPal refuses to consider headers it cannot read (a cert_url not its own...).
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE, f"HTTP {response.status_code}: {raw}"
            )
        return raw


def _json_or_empty(text: str | bytes | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def normalise_event(event: Mapping) -> Notification:
    """A verified PayPal event in our words (`base.Notification`)."""
    event_type = str(event.get("event_type") or "")
    resource = event.get("resource") if isinstance(event.get("resource"), Mapping) else {}
    common = {
        "provider": "paypal",
        "event_id": str(event.get("id") or ""),
        "event_type": event_type,
        "raw": event,
    }
    if event_type in ORDER_EVENTS:
        unit = _first(resource.get("purchase_units"))
        amount, currency = _money(unit.get("amount"))
        return Notification(
            kind=ORDER_EVENTS[event_type],
            provider_payment_id=str(resource.get("id") or ""),
            reference=str(unit.get("custom_id") or ""),
            amount=amount,
            currency=currency,
            **common,
        )
    if event_type in CAPTURE_EVENTS:
        amount, currency = _money(resource.get("amount"))
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        return Notification(
            kind=CAPTURE_EVENTS[event_type],
            provider_payment_id=str(related.get("order_id") or ""),
            provider_charge_id=str(resource.get("id") or ""),
            reference=str(resource.get("custom_id") or ""),
            amount=amount,
            currency=currency,
            **common,
        )
    if event_type in REFUND_EVENTS:
        amount, currency = _money(resource.get("amount"))
        breakdown = resource.get("seller_payable_breakdown") or {}
        refunded_total, _ = _money(breakdown.get("total_refunded_amount"))
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        capture_id = _link(resource, "up").rstrip("/").rsplit("/", 1)[-1] or str(
            related.get("capture_id") or ""
        )
        return Notification(
            kind=EventKind.REFUNDED,
            provider_payment_id=str(related.get("order_id") or ""),
            provider_charge_id=capture_id,
            reference=str(resource.get("custom_id") or ""),
            amount=abs(amount) if amount is not None else None,
            currency=currency,
            refunded_total=abs(refunded_total) if refunded_total is not None else None,
            **common,
        )
    if event_type == "CUSTOMER.DISPUTE.CREATED":
        amount, currency = _money(resource.get("dispute_amount"))
        transaction = _first(resource.get("disputed_transactions"))
        return Notification(
            kind=EventKind.CHARGEBACK,
            provider_charge_id=str(transaction.get("seller_transaction_id") or ""),
            reference=str(transaction.get("custom") or ""),
            amount=amount,
            currency=currency,
            dispute_id=str(resource.get("dispute_id") or ""),
            **common,
        )
    return Notification(kind=EventKind.IGNORED, **common)
