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
import binascii
import copy
import datetime as dt
import html
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
import uuid
import zlib
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from wsgiref.util import application_uri

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ZERO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})
AUTH_ALGO = "SHA256withRSA"
USER_AGENT = "PayPal/AUHD-214.0-58843234"
RESOURCE_TYPES = {
    "CHECKOUT.ORDER": "checkout-order",
    "PAYMENT.CAPTURE.REFUNDED": "refund",
    "PAYMENT.CAPTURE.REVERSED": "refund",
    "PAYMENT.CAPTURE": "capture",
    "CUSTOMER.DISPUTE": "dispute",
}
STATUS_LINES = {
    200: "200 OK",
    201: "201 Created",
    303: "303 See Other",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    422: "422 Unprocessable Entity",
    500: "500 Internal Server Error",
    503: "503 Service Unavailable",
}


def _id(length: int = 17) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(value: Decimal, currency: str) -> dict:
    places = Decimal("1") if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return {"currency_code": currency, "value": str(value.quantize(places))}


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class _Refusal(Exception):
    """An error answer in PayPal's shape: {name, message, details[{issue, description}]}."""

    def __init__(self, status: int, name: str, issue: str = "", description: str = ""):
        super().__init__(issue or name)
        self.status = status
        self.body = {
            "name": name,
            "message": description or name.replace("_", " ").capitalize(),
            "debug_id": _id(13).lower(),
            "details": [{"issue": issue, "description": description}] if issue else [],
            "links": [
                {
                    "href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{issue}",
                    "rel": "information_link",
                    "method": "GET",
                }
            ]
            if issue
            else [],
        }


def _not_found(what: str) -> _Refusal:
    return _Refusal(
        404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", f"Specified {what} does not exist."
    )


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
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self.webhook_url = webhook_url
        # Where the fake is reached ("http://127.0.0.1:8001/paypal"): links and the cert URL.
        # Learnt from the first request when not given.
        self.base_url = base_url.rstrip("/")
        self.token_lifetime = token_lifetime
        self.merchant_id = "FAKEMERCHANT" + _id(1)
        self.orders: dict[str, dict] = {}
        self.captures: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.deliveries: list[dict] = []
        self.tokens_issued = 0
        self._tokens: dict[str, float] = {}
        self._meta: dict[str, dict] = {}  # order id -> return/cancel URLs, capture ids
        self._replies: dict[tuple[str, str], tuple[int, dict]] = {}
        self._pending_next = False
        self._failures: list[int] = []
        self._lock = threading.RLock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.cert_name = f"CERT-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:8]}"
        self.cert_pem = self._self_signed_cert()

    def _self_signed_cert(self) -> bytes:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(self._key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_url(self) -> str:
        return f"{self.base_url}/v1/notifications/certs/{self.cert_name}"

    # --- test hooks -----------------------------------------------------------------------

    def approve(self, order_id: str) -> str:
        """The payer approves on PayPal's page; answers where PayPal sends them back."""
        with self._lock:
            target, events = self._approve(order_id)
        self._deliver(events)
        return target

    def void(self, order_id: str) -> None:
        """The order expires unpaid (PayPal voids it; CHECKOUT.ORDER.VOIDED)."""
        with self._lock:
            order = self._order(order_id)
            order["status"] = "VOIDED"
            order["update_time"] = _now()
            events = [self.event_for("CHECKOUT.ORDER.VOIDED", self._render_order(order_id))]
        self._deliver(events)

    def capture_pending_next(self, flag: bool = True) -> None:
        """The next capture comes back PENDING (an eCheck, a review) instead of COMPLETED."""
        with self._lock:
            self._pending_next = flag

    def complete_pending(self, capture_id: str) -> dict:
        """A pending capture settles: PAYMENT.CAPTURE.COMPLETED."""
        return self._settle(capture_id, "COMPLETED", "PAYMENT.CAPTURE.COMPLETED")

    def deny_pending(self, capture_id: str) -> dict:
        """A pending capture is denied: PAYMENT.CAPTURE.DENIED."""
        return self._settle(capture_id, "DECLINED", "PAYMENT.CAPTURE.DENIED")

    def refund_on_dashboard(self, capture_id: str, amount: Decimal | str | None = None) -> dict:
        """The merchant refunds on PayPal's site (the whole rest when no amount)."""
        with self._lock:
            refund, events = self._refund(capture_id, amount, "", "PAYMENT.CAPTURE.REFUNDED")
        self._deliver(events)
        return refund

    def reverse(self, capture_id: str) -> dict:
        """PayPal takes the rest of a capture back (a lost chargeback): PAYMENT.CAPTURE.REVERSED."""
        with self._lock:
            refund, events = self._refund(capture_id, None, "", "PAYMENT.CAPTURE.REVERSED")
        self._deliver(events)
        return refund

    def dispute(self, capture_id: str, amount: Decimal | str | None = None) -> dict:
        """The payer disputes a capture: CUSTOMER.DISPUTE.CREATED."""
        with self._lock:
            capture = self._capture(capture_id)
            currency = capture["amount"]["currency_code"]
            value = (
                Decimal(str(amount)) if amount is not None else Decimal(capture["amount"]["value"])
            )
            dispute = {
                "dispute_id": f"PP-D-{secrets.randbelow(10**6):06d}",
                "create_time": _now(),
                "update_time": _now(),
                "disputed_transactions": [
                    {
                        "seller_transaction_id": capture_id,
                        "seller": {"merchant_id": self.merchant_id},
                        "create_time": capture["create_time"],
                        "transaction_status": "COMPLETED",
                        "gross_amount": capture["amount"],
                        "invoice_number": capture.get("invoice_id", ""),
                        "custom": capture.get("custom_id", ""),
                    }
                ],
                "reason": "UNAUTHORISED",
                "status": "OPEN",
                "dispute_amount": _money(value, currency),
                "dispute_life_cycle_stage": "CHARGEBACK",
                "dispute_channel": "EXTERNAL",
                "links": [],
            }
            events = [self.event_for("CUSTOMER.DISPUTE.CREATED", dispute)]
        self._deliver(events)
        return dispute

    def fail_next(self, status: int = 503, count: int = 1) -> None:
        """The next `count` API calls (not the token) answer `status` (PayPal having a bad day)."""
        with self._lock:
            self._failures.extend([status] * count)

    def revoke_tokens(self) -> None:
        """Every access token issued so far stops working (PayPal answers 401)."""
        with self._lock:
            self._tokens.clear()

    def event_for(self, event_type: str, resource: dict) -> dict:
        """A webhook event in PayPal's envelope around `resource`."""
        event_id = f"WH-{_id()}-{_id()}"
        resource_type = next(
            (kind for prefix, kind in RESOURCE_TYPES.items() if event_type.startswith(prefix)),
            "",
        )
        events_url = f"{self.base_url}/v1/notifications/webhooks-events/{event_id}"
        return {
            "id": event_id,
            "event_version": "1.0",
            "create_time": _now(),
            "resource_type": resource_type,
            "resource_version": "1.0" if resource_type == "dispute" else "2.0",
            "event_type": event_type,
            "summary": f"{event_type} (fake PayPal)",
            "resource": copy.deepcopy(resource),
            "links": [
                {"href": events_url, "rel": "self", "method": "GET"},
                {"href": f"{events_url}/resend", "rel": "resend", "method": "POST"},
            ],
        }

    def signed(self, event: dict, *, webhook_id: str | None = None) -> tuple[bytes, dict]:
        """The body and PAYPAL-* headers PayPal would send for `event` to our webhook."""
        body = json.dumps(event).encode()
        transmission_id = str(uuid.uuid1())
        transmission_time = _now()
        message = self._message(
            transmission_id, transmission_time, webhook_id or self.webhook_id, body
        )
        signature = self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
            "PAYPAL-CERT-URL": self.cert_url,
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
        }
        return body, headers

    @staticmethod
    def _message(transmission_id: str, when: str, webhook_id: str, body: bytes) -> bytes:
        return f"{transmission_id}|{when}|{webhook_id}|{zlib.crc32(body) & 0xFFFFFFFF}".encode()

    # --- state changes (called with the lock held; answer the events to send) -------------

    def _order(self, order_id: str) -> dict:
        if order_id not in self.orders:
            raise _not_found("order")
        return self.orders[order_id]

    def _capture(self, capture_id: str) -> dict:
        if capture_id not in self.captures:
            raise _not_found("capture")
        return self.captures[capture_id]

    def _approve(self, order_id: str) -> tuple[str, list[dict]]:
        order = self._order(order_id)
        meta = self._meta[order_id]
        events = []
        if order["status"] in {"CREATED", "PAYER_ACTION_REQUIRED"}:
            order["status"] = "APPROVED"
            order["update_time"] = _now()
            order["payer"] = {
                "name": {"given_name": "Tessa", "surname": "Payer"},
                "email_address": "payer@example.com",
                "payer_id": meta["payer_id"],
                "address": {"country_code": "DE"},
            }
            events.append(self.event_for("CHECKOUT.ORDER.APPROVED", self._render_order(order_id)))
        elif order["status"] == "VOIDED":
            raise _Refusal(422, "UNPROCESSABLE_ENTITY", "ORDER_EXPIRED", "The order is voided.")
        target = meta["return_url"] and _with_query(
            meta["return_url"], token=order_id, PayerID=meta["payer_id"]
        )
        return target, events

    def _create_order(self, body: dict, prefer: str) -> tuple[int, dict, list]:
        if body.get("intent") != "CAPTURE":
            raise _Refusal(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE", "intent: CAPTURE")
        units = body.get("purchase_units")
        if not isinstance(units, list) or len(units) != 1 or not isinstance(units[0], dict):
            raise _Refusal(400, "INVALID_REQUEST", "INVALID_ARRAY_LENGTH", "one purchase unit")
        unit = units[0]
        amount = unit.get("amount") or {}
        currency = str(amount.get("currency_code") or "")
        try:
            value = Decimal(str(amount.get("value")))
        except InvalidOperation:
            value = Decimal("NaN")
        if len(currency) != 3 or not currency.isupper():
            raise _Refusal(400, "INVALID_REQUEST", "INVALID_CURRENCY_CODE", "currency_code")
        if (
            not value.is_finite()
            or value <= 0
            or Decimal(_money(value, currency)["value"]) != value
        ):
            raise _Refusal(400, "INVALID_REQUEST", "DECIMAL_PRECISION", "amount value")
        source = body.get("payment_source") or {}
        experience = (
            (source.get("paypal") or {}).get("experience_context")
            or body.get("application_context")
            or {}
        )
        order_id = _id()
        status = "PAYER_ACTION_REQUIRED" if "paypal" in source else "CREATED"
        approve = {
            "href": f"{self.base_url}/checkoutnow?token={order_id}",
            "rel": "payer-action" if "paypal" in source else "approve",
            "method": "GET",
        }
        order_url = f"{self.base_url}/v2/checkout/orders/{order_id}"
        order = {
            "id": order_id,
            "intent": "CAPTURE",
            "status": status,
            **({"payment_source": {"paypal": {}}} if "paypal" in source else {}),
            "purchase_units": [
                {
                    "reference_id": unit.get("reference_id") or "default",
                    "amount": _money(value, currency),
                    "payee": {
                        "email_address": "merchant@example.com",
                        "merchant_id": self.merchant_id,
                    },
                    **{k: unit[k] for k in ("description", "custom_id", "invoice_id") if k in unit},
                }
            ],
            "create_time": _now(),
            "links": [
                {"href": order_url, "rel": "self", "method": "GET"},
                approve,
                {"href": order_url, "rel": "update", "method": "PATCH"},
                {"href": f"{order_url}/capture", "rel": "capture", "method": "POST"},
            ],
        }
        self.orders[order_id] = order
        self._meta[order_id] = {
            "return_url": str(experience.get("return_url") or ""),
            "cancel_url": str(experience.get("cancel_url") or ""),
            "payer_id": _id(13),
            "captures": [],
        }
        return 201, self._render_order(order_id, prefer), []

    def _render_order(self, order_id: str, prefer: str = "return=representation") -> dict:
        order = copy.deepcopy(self.orders[order_id])
        captures = [
            {k: v for k, v in self.captures[cid].items() if k != "supplementary_data"}
            for cid in self._meta[order_id]["captures"]
        ]
        if captures:
            order["purchase_units"][0]["payments"] = {"captures": captures}
        if "representation" not in prefer:
            keep = ("id", "status", "payment_source", "links")
            return {k: order[k] for k in keep if k in order}
        return order

    def _capture_order(self, order_id: str) -> tuple[int, dict, list]:
        order = self._order(order_id)
        if order["status"] == "COMPLETED":
            raise _Refusal(
                422,
                "UNPROCESSABLE_ENTITY",
                "ORDER_ALREADY_CAPTURED",
                "Order already captured. If 'intent=CAPTURE' only one capture per order.",
            )
        if order["status"] != "APPROVED":
            raise _Refusal(
                422,
                "UNPROCESSABLE_ENTITY",
                "ORDER_NOT_APPROVED",
                "Payer has not yet approved the Order for payment.",
            )
        unit = order["purchase_units"][0]
        value = Decimal(unit["amount"]["value"])
        currency = unit["amount"]["currency_code"]
        fee = (value * Decimal("0.0249") + Decimal("0.35")).quantize(Decimal("0.01"))
        capture_id = _id()
        capture_url = f"{self.base_url}/v2/payments/captures/{capture_id}"
        pending = self._pending_next
        self._pending_next = False
        capture = {
            "id": capture_id,
            "status": "PENDING" if pending else "COMPLETED",
            **({"status_details": {"reason": "PENDING_REVIEW"}} if pending else {}),
            "amount": _money(value, currency),
            "final_capture": True,
            "seller_protection": {"status": "ELIGIBLE"},
            "seller_receivable_breakdown": {
                "gross_amount": _money(value, currency),
                "paypal_fee": _money(fee, currency),
                "net_amount": _money(value - fee, currency),
            },
            **{k: unit[k] for k in ("custom_id", "invoice_id") if k in unit},
            "links": [
                {"href": capture_url, "rel": "self", "method": "GET"},
                {"href": f"{capture_url}/refund", "rel": "refund", "method": "POST"},
                {
                    "href": f"{self.base_url}/v2/checkout/orders/{order_id}",
                    "rel": "up",
                    "method": "GET",
                },
            ],
            "create_time": _now(),
            "update_time": _now(),
            "supplementary_data": {"related_ids": {"order_id": order_id}},
        }
        self.captures[capture_id] = capture
        self._meta[order_id]["captures"].append(capture_id)
        self._meta[capture_id] = {"refunded": Decimal("0")}
        order["status"] = "COMPLETED"
        order["update_time"] = _now()
        event_type = "PAYMENT.CAPTURE.PENDING" if pending else "PAYMENT.CAPTURE.COMPLETED"
        return 201, self._render_order(order_id), [self.event_for(event_type, capture)]

    def _settle(self, capture_id: str, status: str, event_type: str) -> dict:
        with self._lock:
            capture = self._capture(capture_id)
            if capture["status"] != "PENDING":
                raise ValueError(f"capture {capture_id} is {capture['status']}, not PENDING")
            capture["status"] = status
            capture.pop("status_details", None)
            capture["update_time"] = _now()
            events = [self.event_for(event_type, capture)]
            answer = copy.deepcopy(capture)
        self._deliver(events)
        return answer

    def _refund(self, capture_id: str, amount, currency: str, event_type: str):
        capture = self._capture(capture_id)
        captured = Decimal(capture["amount"]["value"])
        currency = currency or capture["amount"]["currency_code"]
        refunded = self._meta[capture_id]["refunded"]
        if capture["status"] == "REFUNDED":
            raise _Refusal(
                422,
                "UNPROCESSABLE_ENTITY",
                "CAPTURE_FULLY_REFUNDED",
                "The capture has already been fully refunded.",
            )
        if capture["status"] not in {"COMPLETED", "PARTIALLY_REFUNDED"}:
            raise _Refusal(
                422,
                "UNPROCESSABLE_ENTITY",
                "REFUND_NOT_ALLOWED",
                f"A {capture['status']} capture cannot be refunded.",
            )
        if currency != capture["amount"]["currency_code"]:
            raise _Refusal(
                422,
                "UNPROCESSABLE_ENTITY",
                "REFUND_CAPTURE_CURRENCY_MISMATCH",
                "Refund must be in the same currency as the capture.",
            )
        try:
            value = Decimal(str(amount)) if amount is not None else captured - refunded
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value <= 0:
            raise _Refusal(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE", "amount value")
        if refunded + value > captured:
            raise _Refusal(
                422,
                "UNPROCESSABLE_ENTITY",
                "REFUND_AMOUNT_EXCEEDED",
                "The refund amount must be less than or equal to the capture "
                "amount that has not yet been refunded.",
            )
        refunded += value
        self._meta[capture_id]["refunded"] = refunded
        capture["status"] = "REFUNDED" if refunded == captured else "PARTIALLY_REFUNDED"
        capture["update_time"] = _now()
        refund_id = _id()
        refund = {
            "id": refund_id,
            "amount": _money(value, currency),
            "seller_payable_breakdown": {
                "gross_amount": _money(value, currency),
                "paypal_fee": _money(Decimal("0"), currency),
                "net_amount": _money(value, currency),
                "total_refunded_amount": _money(refunded, currency),
            },
            **{k: capture[k] for k in ("custom_id", "invoice_id") if k in capture},
            "status": "COMPLETED",
            "create_time": _now(),
            "update_time": _now(),
            "links": [
                {
                    "href": f"{self.base_url}/v2/payments/refunds/{refund_id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{self.base_url}/v2/payments/captures/{capture_id}",
                    "rel": "up",
                    "method": "GET",
                },
            ],
        }
        self.refunds[refund_id] = refund
        return copy.deepcopy(refund), [self.event_for(event_type, refund)]

    # --- webhooks out ---------------------------------------------------------------------

    def _deliver(self, events: list[dict]) -> None:
        """POST each event, signed, to webhook_url; never raises (PayPal would retry later)."""
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
                request = urllib.request.Request(  # noqa: S310 - a URL the test configured
                    self.webhook_url,
                    data=body,
                    headers={**headers, "User-Agent": USER_AGENT},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                        record["status"] = response.status
                except urllib.error.HTTPError as error:
                    record["status"] = error.code
                    record["error"] = error.read().decode(errors="replace")[:500]
                except OSError as error:
                    record["error"] = str(error)
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
        except _Refusal as refusal:
            status, headers = refusal.status, [("Content-Type", "application/json")]
            body = json.dumps(refusal.body).encode()
        self._deliver(events)
        start_response(STATUS_LINES.get(status, f"{status} Error"), headers)
        return [body]

    def _route(self, environ, method: str, path: str, raw: bytes):
        parts = path.strip("/").split("/")
        if (method, path) == ("POST", "/v1/oauth2/token"):
            return self._json(*self._token(environ, raw))
        if method == "GET" and path.startswith("/v1/notifications/certs/"):
            if parts[-1] != self.cert_name:
                raise _not_found("certificate")
            return 200, [("Content-Type", "application/x-pem-file")], self.cert_pem, []
        if path == "/checkoutnow":
            return self._checkout_page(environ, method, raw)
        self._authorise(environ)
        body = self._body(raw)
        request_id = environ.get("HTTP_PAYPAL_REQUEST_ID", "")
        prefer = environ.get("HTTP_PREFER", "")
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                raise _Refusal(status, "INTERNAL_SERVER_ERROR", "", "An internal error occurred.")
            if (method, path) == ("POST", "/v2/checkout/orders"):
                return self._json(
                    *self._once(("order", request_id), self._create_order, body, prefer)
                )
            if method == "GET" and parts[:3] == ["v2", "checkout", "orders"] and len(parts) == 4:
                self._order(parts[3])
                return self._json(200, self._render_order(parts[3]))
            if (
                method == "POST"
                and parts[:3] == ["v2", "checkout", "orders"]
                and parts[4:] == ["capture"]
            ):
                return self._json(
                    *self._once(("capture", request_id), self._capture_order, parts[3])
                )
            if method == "GET" and parts[:3] == ["v2", "payments", "captures"] and len(parts) == 4:
                return self._json(200, copy.deepcopy(self._capture(parts[3])))
            if (
                method == "POST"
                and parts[:3] == ["v2", "payments", "captures"]
                and parts[4:] == ["refund"]
            ):
                amount = body.get("amount") or {}
                return self._json(
                    *self._once(
                        ("refund", request_id),
                        lambda: (
                            201,
                            *self._refund(
                                parts[3],
                                amount.get("value"),
                                str(amount.get("currency_code") or ""),
                                "PAYMENT.CAPTURE.REFUNDED",
                            ),
                        ),
                    )
                )
            if method == "GET" and parts[:3] == ["v2", "payments", "refunds"] and len(parts) == 4:
                if parts[3] not in self.refunds:
                    raise _not_found("refund")
                return self._json(200, copy.deepcopy(self.refunds[parts[3]]))
            if (method, path) == ("POST", "/v1/notifications/verify-webhook-signature"):
                return self._json(200, {"verification_status": self._verify(body)})
        raise _Refusal(404, "NOT_FOUND", "", f"No route for {method} {path}.")

    def _once(self, key: tuple[str, str], action, *args):
        """PayPal-Request-Id: a repeated request answers what the first one did, and does
        nothing again (no second order, capture or refund, no second webhook)."""
        if key[1] and key in self._replies:
            status, answer = self._replies[key]
            return (200 if status == 201 else status), copy.deepcopy(answer), []
        status, answer, events = action(*args)
        if key[1]:
            self._replies[key] = (status, copy.deepcopy(answer))
        return status, answer, events

    @staticmethod
    def _json(status: int, payload: dict, events: list | None = None):
        return (
            status,
            [("Content-Type", "application/json")],
            json.dumps(payload).encode(),
            events or [],
        )

    @staticmethod
    def _body(raw: bytes) -> dict:
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise _Refusal(400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON", str(error)) from error
        if not isinstance(body, dict):
            raise _Refusal(400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON", "not an object")
        return body

    def _token(self, environ, raw: bytes) -> tuple[int, dict]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not secrets.compare_digest(given.encode(), f"Basic {expected}".encode()):
            return 401, {
                "error": "invalid_client",
                "error_description": "Client Authentication failed",
            }
        grant = parse_qs(raw.decode(errors="replace")).get("grant_type", [""])[0]
        if grant != "client_credentials":
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
            "nonce": f"{_now()}{secrets.token_hex(8)}",
        }

    def _authorise(self, environ) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        with self._lock:
            valid = self._tokens.get(token, 0) > time.time()
        if not valid:
            refusal = _Refusal(401, "AUTHENTICATION_FAILURE")
            refusal.body = {
                "error": "invalid_token",
                "error_description": "Token signature verification failed",
            }
            raise refusal

    def _verify(self, body: dict) -> str:
        """verify-webhook-signature: SUCCESS only for PayPal's own signature over this event
        for this webhook id."""
        fields = (
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
        )
        missing = [name for name in fields if not isinstance(body.get(name), str) or not body[name]]
        if missing or not isinstance(body.get("webhook_event"), dict):
            raise _Refusal(
                400,
                "VALIDATION_ERROR",
                "MISSING_REQUIRED_PARAMETER",
                f"Missing: {', '.join(missing) or 'webhook_event'}",
            )
        if body["auth_algo"] != AUTH_ALGO:
            return "FAILURE"
        if body["cert_url"].rstrip("/").rsplit("/", 1)[-1] != self.cert_name:
            return "FAILURE"
        message = self._message(
            body["transmission_id"],
            body["transmission_time"],
            body["webhook_id"],
            json.dumps(body["webhook_event"]).encode(),
        )
        certificate = x509.load_pem_x509_certificate(self.cert_pem)
        try:
            signature = base64.b64decode(body["transmission_sig"], validate=True)
            certificate.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            return "FAILURE"
        return "SUCCESS"

    # --- the approval page ----------------------------------------------------------------

    def _checkout_page(self, environ, method: str, raw: bytes):
        if method == "POST":
            form = parse_qs(raw.decode(errors="replace"))
            order_id = form.get("token", [""])[0]
            action = form.get("action", [""])[0]
        else:
            order_id = parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]
            action = ""
        events: list[dict] = []
        with self._lock:
            order = self._order(order_id)
            meta = self._meta[order_id]
            if action == "approve":
                target, events = self._approve(order_id)
            elif action == "cancel":
                target = meta["cancel_url"] and _with_query(meta["cancel_url"], token=order_id)
            else:
                target = ""
            page = self._page(order, environ)
        if target:
            return 303, [("Location", target), ("Content-Type", "text/plain")], b"", events
        return 200, [("Content-Type", "text/html; charset=utf-8")], page, events

    def _page(self, order: dict, environ) -> bytes:
        unit = order["purchase_units"][0]
        amount = f"{unit['amount']['value']} {unit['amount']['currency_code']}"
        action = html.escape(f"{environ.get('SCRIPT_NAME', '')}/checkoutnow")
        waiting = order["status"] in {"CREATED", "PAYER_ACTION_REQUIRED"}
        buttons = (
            '<button type="submit" name="action" value="approve">Approve</button>\n'
            '<button type="submit" name="action" value="cancel">Cancel</button>'
            if waiting
            else f"<p>This payment is {html.escape(order['status'].lower())}.</p>"
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PayPal Checkout (test)</title></head>
<body><main>
<h1>Pay with PayPal</h1>
<p>Payment to Tessera (a test PayPal, no real money moves).</p>
<p>{html.escape(unit.get("description", ""))}</p>
<p>Amount: <strong>{html.escape(amount)}</strong></p>
<form method="post" action="{action}">
<input type="hidden" name="token" value="{html.escape(order["id"])}">
{buttons}
</form>
</main></body></html>""".encode()
