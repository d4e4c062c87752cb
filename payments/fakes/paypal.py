"""A loopback fake of PayPal's REST API: OAuth, Orders v2, captures, refunds, webhooks.

It speaks PayPal's wire format closely enough that `paypal-server-sdk` runs against it
unchanged (the adapter only swaps the base URL), and it keeps PayPal's rules that our code
must live with: an order is captured only after the payer approved it and only once, a
`PayPal-Request-Id` replays the first answer, a capture is never refunded beyond what is left.

Webhooks are signed the way PayPal signs them: an RSA-SHA256 signature over
`transmission_id|transmission_time|webhook_id|crc32(body)` with a key whose certificate is
served at the `PAYPAL-CERT-URL`. verify-webhook-signature really checks that signature with
the webhook id it is given, so a forged signature, an altered body or another webhook's id
answers FAILURE, as PayPal would.

Test hooks are plain methods (`approve`, `complete_pending`, `refund_on_dashboard`,
`dispute`, `signed`, ...). Webhooks go out synchronously to `webhook_url`; every one is kept
in `deliveries` (also when there is no URL or the receiver failed), so a test can replay it.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs
from wsgiref.util import application_uri

from payments.fakes.paypal_wire import (
    PayPalRefusal,
    WebhookSigner,
    approval_page,
    capture_resource,
    dispute_resource,
    envelope,
    invalid,
    money,
    not_found,
    now,
    order_links,
    paypal_id,
    post,
    refund_resource,
    status_line,
    unprocessable,
    with_query,
)

# The API, after the token: (method, path pattern, handler name). Handlers take the path's
# id (or None), the JSON body and the request's headers, and answer (status, json, events).
ROUTES = [
    ("POST", r"/v2/checkout/orders", "_create_order"),
    ("GET", r"/v2/checkout/orders/([^/]+)", "_get_order"),
    ("POST", r"/v2/checkout/orders/([^/]+)/capture", "_capture_order"),
    ("GET", r"/v2/payments/captures/([^/]+)", "_get_capture"),
    ("POST", r"/v2/payments/captures/([^/]+)/refund", "_refund_capture"),
    ("GET", r"/v2/payments/refunds/([^/]+)", "_get_refund"),
    ("POST", r"/v1/notifications/verify-webhook-signature", "_verify_signature"),
]
# Writes that honour PayPal-Request-Id: a repeat answers the first answer and does nothing.
IDEMPOTENT = {"_create_order", "_capture_order", "_refund_capture"}


class FakePayPal:
    """PayPal's REST API in memory, as a WSGI application (serve it with `server.serve`)."""

    def __init__(
        self,
        *,
        client_id: str = "tessera-fake-client",
        client_secret: str = "tessera-fake-secret",  # noqa: S107 - the fake's own test secret
        webhook_id: str = "WH-TESSERA-FAKE",
        webhook_url: str = "",
        base_url: str = "",
        token_lifetime: int = 32400,
        signer: WebhookSigner | None = None,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self.webhook_url = webhook_url
        # Where the fake is reached ("http://127.0.0.1:8001/paypal"): links and the cert URL.
        # Learnt from the first request when not given.
        self.base_url = base_url.rstrip("/")
        self.token_lifetime = token_lifetime
        self.merchant_id = "FAKEMERCHANT" + paypal_id(1)
        self.orders: dict[str, dict] = {}
        self.captures: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.deliveries: list[dict] = []
        self.tokens_issued = 0
        self._tokens: dict[str, float] = {}
        self._meta: dict[str, dict] = {}  # order id -> URLs, payer, captures; capture -> refunded
        self._replies: dict[tuple[str, str], tuple[int, dict]] = {}
        self._pending_next = False
        self._failures: list[int] = []
        self._lock = threading.RLock()
        # A new RSA key per fake unless one is shared (tests: key generation is the slow part).
        self.signer = signer or WebhookSigner()
        self.cert_name = self.signer.cert_name

    @property
    def cert_url(self) -> str:
        return f"{self.base_url}/v1/notifications/certs/{self.cert_name}"

    # --- test hooks -----------------------------------------------------------------------

    def approve(self, order_id: str) -> str:
        """The payer approves on PayPal's page; answers where PayPal sends them back."""
        return self._changed(lambda: self._approve(order_id))

    def void(self, order_id: str) -> None:
        """The order expires unpaid: VOIDED, CHECKOUT.ORDER.VOIDED."""

        def change():
            order = self._order(order_id)
            order.update(status="VOIDED", update_time=now())
            return None, [self.event_for("CHECKOUT.ORDER.VOIDED", self._render(order_id))]

        self._changed(change)

    def capture_pending_next(self, flag: bool = True) -> None:
        """The next capture comes back PENDING (an eCheck, a review) instead of COMPLETED."""
        with self._lock:
            self._pending_next = flag

    def complete_pending(self, capture_id: str) -> dict:
        """A pending capture settles: PAYMENT.CAPTURE.COMPLETED."""
        return self._changed(lambda: self._settle(capture_id, "COMPLETED", "COMPLETED"))

    def deny_pending(self, capture_id: str) -> dict:
        """A pending capture is denied: capture DECLINED, PAYMENT.CAPTURE.DENIED."""
        return self._changed(lambda: self._settle(capture_id, "DECLINED", "DENIED"))

    def refund_on_dashboard(self, capture_id: str, amount: Decimal | str | None = None) -> dict:
        """The merchant refunds on PayPal's site (the whole rest without an amount)."""
        return self._changed(lambda: self._refund(capture_id, amount, "", "REFUNDED"))

    def reverse(self, capture_id: str) -> dict:
        """PayPal takes the rest of a capture back (a lost chargeback): .REVERSED."""
        return self._changed(lambda: self._refund(capture_id, None, "", "REVERSED"))

    def dispute(self, capture_id: str, amount: Decimal | str | None = None) -> dict:
        """The payer disputes a capture (all of it without an amount): CUSTOMER.DISPUTE.CREATED."""

        def change():
            capture = self._capture(capture_id)
            value = Decimal(str(amount if amount is not None else capture["amount"]["value"]))
            dispute = dispute_resource(capture=capture, value=value, merchant_id=self.merchant_id)
            return dispute, [self.event_for("CUSTOMER.DISPUTE.CREATED", dispute)]

        return self._changed(change)

    def fail_next(self, status: int = 503, count: int = 1) -> None:
        """The next `count` API calls (not the token) answer `status`: PayPal having a bad day."""
        with self._lock:
            self._failures.extend([status] * count)

    def revoke_tokens(self) -> None:
        """Every access token issued so far stops working (PayPal answers 401)."""
        with self._lock:
            self._tokens.clear()

    def event_for(self, event_type: str, resource: dict) -> dict:
        """A webhook event in PayPal's envelope around `resource` (not sent)."""
        return envelope(event_type, resource, base_url=self.base_url)

    def signed(self, event: dict, *, webhook_id: str | None = None) -> tuple[bytes, dict]:
        """The body and PAYPAL-* headers PayPal would send for `event` to our webhook (signed
        for `webhook_id`, ours when not given)."""
        return self.signer.sign(
            event, webhook_id=webhook_id or self.webhook_id, cert_url=self.cert_url
        )

    def _changed(self, change):
        """Run a state change under the lock, then send its webhooks without the lock (the
        receiver may well call back into the fake)."""
        with self._lock:
            answer, events = change()
            answer = copy.deepcopy(answer)
        self._deliver(events)
        return answer

    # --- state (called with the lock held; changes answer (result, events to send)) -------

    def _order(self, order_id: str) -> dict:
        if order_id not in self.orders:
            raise not_found("order")
        return self.orders[order_id]

    def _capture(self, capture_id: str) -> dict:
        if capture_id not in self.captures:
            raise not_found("capture")
        return self.captures[capture_id]

    def _render(self, order_id: str, prefer: str = "return=representation") -> dict:
        """An order as the API shows it: its captures inside, links for its status."""
        order = copy.deepcopy(self.orders[order_id])
        meta = self._meta[order_id]
        order["links"] = order_links(base_url=self.base_url, order=order, approve_rel=meta["rel"])
        captures = [
            {k: v for k, v in self.captures[cid].items() if k != "supplementary_data"}
            for cid in meta["captures"]
        ]
        if captures:
            order["purchase_units"][0]["payments"] = {"captures": captures}
        if "representation" not in prefer:
            return {k: order[k] for k in ("id", "status", "payment_source", "links") if k in order}
        return order

    def _approve(self, order_id: str) -> tuple[str, list[dict]]:
        order = self._order(order_id)
        meta = self._meta[order_id]
        events = []
        if order["status"] == "VOIDED":
            raise unprocessable("ORDER_EXPIRED", "The order is voided.")
        if order["status"] in {"CREATED", "PAYER_ACTION_REQUIRED"}:
            order.update(status="APPROVED", update_time=now())
            order["payer"] = {
                "name": {"given_name": "Tessa", "surname": "Payer"},
                "email_address": "payer@example.com",
                "payer_id": meta["payer_id"],
                "address": {"country_code": "DE"},
            }
            events.append(self.event_for("CHECKOUT.ORDER.APPROVED", self._render(order_id)))
        target = meta["return_url"] and with_query(
            meta["return_url"], token=order_id, PayerID=meta["payer_id"]
        )
        return target, events

    def _create_order(self, _id, body: dict, headers: dict):
        if body.get("intent") != "CAPTURE":
            raise invalid("INVALID_PARAMETER_VALUE", "intent must be CAPTURE.")
        units = body.get("purchase_units")
        if not isinstance(units, list) or len(units) != 1 or not isinstance(units[0], dict):
            raise invalid("INVALID_ARRAY_LENGTH", "One purchase unit is supported.")
        unit = units[0]
        amount = unit.get("amount") or {}
        currency = str(amount.get("currency_code") or "")
        value = _decimal(amount.get("value"))
        if len(currency) != 3 or not currency.isupper():
            raise invalid(
                "INVALID_CURRENCY_CODE", "Currency code should be a three-character code."
            )
        if not value.is_finite() or value <= 0 or Decimal(money(value, currency)["value"]) != value:
            raise invalid("DECIMAL_PRECISION", "The amount value is invalid for its currency.")
        source = body.get("payment_source") or {}
        wallet = "paypal" in source
        experience = (
            (source.get("paypal") or {}).get("experience_context")
            or body.get("application_context")
            or {}
        )
        order_id = paypal_id()
        self.orders[order_id] = {
            "id": order_id,
            "intent": "CAPTURE",
            "status": "PAYER_ACTION_REQUIRED" if wallet else "CREATED",
            **({"payment_source": {"paypal": {}}} if wallet else {}),
            "purchase_units": [
                {
                    "reference_id": unit.get("reference_id") or "default",
                    "amount": money(value, currency),
                    "payee": {
                        "email_address": "merchant@example.com",
                        "merchant_id": self.merchant_id,
                    },
                    **{k: unit[k] for k in ("description", "custom_id", "invoice_id") if k in unit},
                }
            ],
            "create_time": now(),
        }
        self._meta[order_id] = {
            "return_url": str(experience.get("return_url") or ""),
            "cancel_url": str(experience.get("cancel_url") or ""),
            "rel": "payer-action" if wallet else "approve",
            "payer_id": paypal_id(13),
            "captures": [],
        }
        return 201, self._render(order_id, headers.get("prefer", "")), []

    def _get_order(self, order_id: str, _body, _headers):
        self._order(order_id)
        return 200, self._render(order_id), []

    def _capture_order(self, order_id: str, _body, _headers):
        order = self._order(order_id)
        if order["status"] == "COMPLETED":
            raise unprocessable(
                "ORDER_ALREADY_CAPTURED",
                "Order already captured. If 'intent=CAPTURE' only one capture per order.",
            )
        if order["status"] != "APPROVED":
            raise unprocessable(
                "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment."
            )
        pending, self._pending_next = self._pending_next, False
        capture = capture_resource(
            base_url=self.base_url,
            order_id=order_id,
            unit=order["purchase_units"][0],
            pending=pending,
        )
        self.captures[capture["id"]] = capture
        self._meta[order_id]["captures"].append(capture["id"])
        self._meta[capture["id"]] = {"refunded": Decimal("0")}
        order.update(status="COMPLETED", update_time=now())
        event_type = "PAYMENT.CAPTURE.PENDING" if pending else "PAYMENT.CAPTURE.COMPLETED"
        return 201, self._render(order_id), [self.event_for(event_type, capture)]

    def _get_capture(self, capture_id: str, _body, _headers):
        return 200, self._capture(capture_id), []

    def _get_refund(self, refund_id: str, _body, _headers):
        if refund_id not in self.refunds:
            raise not_found("refund")
        return 200, self.refunds[refund_id], []

    def _refund_capture(self, capture_id: str, body: dict, _headers):
        amount = body.get("amount") or {}
        refund, events = self._refund(
            capture_id, amount.get("value"), str(amount.get("currency_code") or ""), "REFUNDED"
        )
        return 201, refund, events

    def _settle(self, capture_id: str, status: str, event: str):
        capture = self._capture(capture_id)
        if capture["status"] != "PENDING":
            raise ValueError(f"capture {capture_id} is {capture['status']}, not PENDING")
        capture.update(status=status, update_time=now())
        capture.pop("status_details", None)
        return capture, [self.event_for(f"PAYMENT.CAPTURE.{event}", capture)]

    def _refund(self, capture_id: str, amount, currency: str, event: str):
        """Refund `amount` of a capture (all that is left when None); PayPal's rules."""
        capture = self._capture(capture_id)
        captured = Decimal(capture["amount"]["value"])
        refunded = self._meta[capture_id]["refunded"]
        if capture["status"] == "REFUNDED":
            raise unprocessable("CAPTURE_FULLY_REFUNDED", "The capture is already fully refunded.")
        if capture["status"] not in {"COMPLETED", "PARTIALLY_REFUNDED"}:
            raise unprocessable("REFUND_NOT_ALLOWED", "This capture cannot be refunded.")
        if currency and currency != capture["amount"]["currency_code"]:
            raise unprocessable(
                "REFUND_CAPTURE_CURRENCY_MISMATCH", "Refund must be in the capture's currency."
            )
        value = _decimal(amount) if amount is not None else captured - refunded
        if not value.is_finite() or value <= 0:
            raise invalid("INVALID_PARAMETER_VALUE", "The refund amount is invalid.")
        if refunded + value > captured:
            raise unprocessable(
                "REFUND_AMOUNT_EXCEEDED",
                "The refund amount must be less than or equal to the capture amount that has "
                "not yet been refunded.",
            )
        refunded += value
        self._meta[capture_id]["refunded"] = refunded
        capture["status"] = "REFUNDED" if refunded == captured else "PARTIALLY_REFUNDED"
        capture["update_time"] = now()
        refund = refund_resource(
            base_url=self.base_url, capture=capture, value=value, refunded_total=refunded
        )
        self.refunds[refund["id"]] = refund
        return refund, [self.event_for(f"PAYMENT.CAPTURE.{event}", refund)]

    def _verify_signature(self, _id, body: dict, _headers):
        try:
            return 200, {"verification_status": self.signer.verify(body)}, []
        except ValueError as error:
            raise PayPalRefusal(
                400, "VALIDATION_ERROR", "MISSING_REQUIRED_PARAMETER", str(error)
            ) from error

    # --- webhooks out ---------------------------------------------------------------------

    def _deliver(self, events: list[dict]) -> None:
        """POST each event, signed, to webhook_url; never raises (PayPal would retry later).
        Every event is recorded in `deliveries`, sent or not."""
        for event in events:
            body, headers = self.signed(event)
            record = {
                "event_id": event["id"],
                "event_type": event["event_type"],
                "event": event,
                "body": body,
                "headers": headers,
                "url": self.webhook_url,
                "status": None,
                "error": "",
            }
            if self.webhook_url:
                record["status"], record["error"] = post(self.webhook_url, body, headers)
            with self._lock:
                self.deliveries.append(record)

    # --- HTTP -----------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if not self.base_url:
            self.base_url = application_uri(environ).rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/").rstrip("/") or "/"
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        events: list[dict] = []
        try:
            status, headers, body, events = self._route(environ, method, path, raw)
        except PayPalRefusal as refusal:
            status, headers = refusal.status, [("Content-Type", "application/json")]
            body = json.dumps(refusal.body).encode()
        self._deliver(events)
        start_response(status_line(status), headers)
        return [body]

    def _route(self, environ, method: str, path: str, raw: bytes):
        if (method, path) == ("POST", "/v1/oauth2/token"):
            return _json(*self._token(environ, raw), [])
        if method == "GET" and path == f"/v1/notifications/certs/{self.cert_name}":
            return 200, [("Content-Type", "application/x-pem-file")], self.signer.cert_pem, []
        if path == "/checkoutnow":
            return self._checkout_page(environ, method, raw)
        found = [
            (name, match)
            for route_method, pattern, name in ROUTES
            if route_method == method and (match := re.fullmatch(pattern, path))
        ]
        if not found:
            raise PayPalRefusal(404, "NOT_FOUND", "", f"No route for {method} {path}.")
        name, match = found[0]
        self._authorise(environ)
        body = _body(raw)
        headers = {"prefer": environ.get("HTTP_PREFER", "")}
        key = (name, environ.get("HTTP_PAYPAL_REQUEST_ID", "")) if name in IDEMPOTENT else None
        with self._lock:
            if self._failures:
                raise PayPalRefusal(self._failures.pop(0), "INTERNAL_SERVER_ERROR")
            if key and key[1] and key in self._replies:
                status, answer = self._replies[key]
                return _json(200 if status == 201 else status, answer, [])
            status, answer, events = getattr(self, name)(
                match.group(1) if match.groups() else None, body, headers
            )
            answer = copy.deepcopy(answer)
            if key and key[1]:
                self._replies[key] = (status, answer)
        return _json(status, answer, events)

    def _token(self, environ, raw: bytes) -> tuple[int, dict]:
        """Client credentials in, a Bearer token out (PayPal's /v1/oauth2/token)."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not secrets.compare_digest(given.encode(), f"Basic {expected}".encode()):
            return 401, {
                "error": "invalid_client",
                "error_description": "Client Authentication failed",
            }
        if parse_qs(raw.decode(errors="replace")).get("grant_type") != ["client_credentials"]:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Grant Type is NULL",
            }
        token = "A21AA" + secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = time.time() + self.token_lifetime
            self.tokens_issued += 1
        return 200, {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": self.token_lifetime,
            "nonce": f"{now()}{secrets.token_hex(8)}",
        }

    def _authorise(self, environ) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        with self._lock:
            valid = self._tokens.get(token, 0) > time.time()
        if not valid:
            refusal = PayPalRefusal(401, "AUTHENTICATION_FAILURE")
            refusal.body = {"error": "invalid_token", "error_description": "Token is not valid"}
            raise refusal

    def _checkout_page(self, environ, method: str, raw: bytes):
        """PayPal's approval page: Approve sends the payer to return_url, Cancel to cancel_url."""
        query = raw.decode(errors="replace") if method == "POST" else environ.get("QUERY_STRING")
        form = parse_qs(query or "")
        order_id = form.get("token", [""])[0]
        action = form.get("action", [""])[0] if method == "POST" else ""
        events: list[dict] = []
        target = ""
        with self._lock:
            order = self._order(order_id)
            cancel_url = self._meta[order_id]["cancel_url"]
            if action == "approve":
                target, events = self._approve(order_id)
            elif action == "cancel" and cancel_url:
                target = with_query(cancel_url, token=order_id)
            page = approval_page(order, f"{environ.get('SCRIPT_NAME', '')}/checkoutnow")
        if target:
            return 303, [("Location", target), ("Content-Type", "text/plain")], b"", events
        return 200, [("Content-Type", "text/html; charset=utf-8")], page, events


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal("NaN")


def _json(status: int, payload: dict, events: list):
    return status, [("Content-Type", "application/json")], json.dumps(payload).encode(), events


def _body(raw: bytes) -> dict:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise invalid("MALFORMED_REQUEST_JSON", str(error)) from error
    if not isinstance(body, dict):
        raise invalid("MALFORMED_REQUEST_JSON", "The request body is not a JSON object.")
    return body
