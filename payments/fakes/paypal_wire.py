"""The fake PayPal's wire format: ids, money, error answers, the approval page, and webhooks
(PayPal's event envelope, its signature scheme, delivery).

PayPal signs a webhook with RSA-SHA256 over
`transmission_id|transmission_time|webhook_id|crc32(body)` (the CRC as an unsigned decimal)
and sends the signature base64-encoded in PAYPAL-TRANSMISSION-SIG, the certificate's URL in
PAYPAL-CERT-URL. `WebhookSigner` does the same with a key generated at construction and a
self-signed certificate for it; `verify` is what PayPal's verify-webhook-signature call does
with them, so the fake answers FAILURE exactly where PayPal would: another body, another
signature, another webhook id, another certificate.
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
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Mapping
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit, urlunsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

AUTH_ALGO = "SHA256withRSA"
USER_AGENT = "PayPal/AUHD-214.0-58843234"
VERIFY_FIELDS = (
    "auth_algo",
    "cert_url",
    "transmission_id",
    "transmission_sig",
    "transmission_time",
    "webhook_id",
)
# An event's resource_type, by the longest matching event-type prefix first.
RESOURCE_TYPES = (
    ("PAYMENT.CAPTURE.REFUNDED", "refund"),
    ("PAYMENT.CAPTURE.REVERSED", "refund"),
    ("PAYMENT.CAPTURE", "capture"),
    ("CHECKOUT.ORDER", "checkout-order"),
    ("CUSTOMER.DISPUTE", "dispute"),
)


def paypal_id(length: int = 17) -> str:
    """An id in PayPal's style: upper-case letters and digits."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(event_type: str, resource: Mapping, *, base_url: str) -> dict:
    """A webhook event as PayPal sends it, around `resource`."""
    event_id = f"WH-{paypal_id()}-{paypal_id()}"
    resource_type = next(
        (kind for prefix, kind in RESOURCE_TYPES if event_type.startswith(prefix)), ""
    )
    events_url = f"{base_url}/v1/notifications/webhooks-events/{event_id}"
    return {
        "id": event_id,
        "event_version": "1.0",
        "create_time": now(),
        "resource_type": resource_type,
        "resource_version": "1.0" if resource_type == "dispute" else "2.0",
        "event_type": event_type,
        "summary": f"{event_type} (fake PayPal)",
        "resource": copy.deepcopy(dict(resource)),
        "links": [
            {"href": events_url, "rel": "self", "method": "GET"},
            {"href": f"{events_url}/resend", "rel": "resend", "method": "POST"},
        ],
    }


def _message(transmission_id: str, when: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{when}|{webhook_id}|{zlib.crc32(body) & 0xFFFFFFFF}".encode()


class WebhookSigner:
    """A signing key, its self-signed certificate (served by the fake at its cert URL), and
    PayPal's signature scheme in both directions."""

    def __init__(self):
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.cert_name = f"CERT-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:8]}"
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts")])
        today = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(today - dt.timedelta(days=1))
            .not_valid_after(today + dt.timedelta(days=365))
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, event: Mapping, *, webhook_id: str, cert_url: str) -> tuple[bytes, dict]:
        """The body and PAYPAL-* headers of `event` sent to the webhook `webhook_id`."""
        body = json.dumps(event).encode()
        transmission_id = str(uuid.uuid1())
        transmission_time = now()
        message = _message(transmission_id, transmission_time, webhook_id, body)
        signature = self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
            "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
        }
        return body, headers

    def verify(self, request: Mapping) -> str:
        """verify-webhook-signature's answer ("SUCCESS" or "FAILURE") for its request body.
        The event is serialised as the fake serialised it when signing, as PayPal does with
        its own events. Raises ValueError for a request missing a field (PayPal's 400)."""
        missing = [
            n for n in VERIFY_FIELDS if not isinstance(request.get(n), str) or not request[n]
        ]
        if missing or not isinstance(request.get("webhook_event"), dict):
            raise ValueError(f"missing: {', '.join(missing) or 'webhook_event'}")
        if request["auth_algo"] != AUTH_ALGO:
            return "FAILURE"
        if request["cert_url"].rstrip("/").rsplit("/", 1)[-1] != self.cert_name:
            return "FAILURE"
        message = _message(
            request["transmission_id"],
            request["transmission_time"],
            request["webhook_id"],
            json.dumps(request["webhook_event"]).encode(),
        )
        try:
            signature = base64.b64decode(request["transmission_sig"], validate=True)
            self.certificate.public_key().verify(
                signature, message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, binascii.Error, ValueError):
            return "FAILURE"
        return "SUCCESS"


def post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int | None, str]:
    """POST one webhook; (HTTP status or None, error text). Never raises: PayPal keeps a
    failed delivery and retries later, it does not fail the payment."""
    request = urllib.request.Request(  # noqa: S310 - the URL the test or `make run` configured
        url, data=body, headers={**headers, "User-Agent": USER_AGENT}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:500]
    except OSError as error:
        return None, str(error)


ZERO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})


def money(value: Decimal, currency: str) -> dict:
    places = Decimal("1") if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return {"currency_code": currency, "value": str(value.quantize(places))}


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class PayPalRefusal(Exception):
    """An error answer in PayPal's shape: {name, message, details[{issue, description}]}."""

    def __init__(self, status: int, name: str, issue: str = "", description: str = ""):
        super().__init__(issue or name)
        self.status = status
        self.body = {
            "name": name,
            "message": description or name.replace("_", " ").capitalize(),
            "debug_id": paypal_id(13).lower(),
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


def not_found(what: str) -> PayPalRefusal:
    return PayPalRefusal(
        404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", f"Specified {what} does not exist."
    )


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def approval_page(order: Mapping, action: str) -> bytes:
    """PayPal's approval page, plain: no JavaScript, two buttons (it plays PayPal's own page,
    so its words are PayPal's English, not the portal's translated ones)."""
    unit = order["purchase_units"][0]
    amount = f"{unit['amount']['value']} {unit['amount']['currency_code']}"
    action = html.escape(action)
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


def unprocessable(issue: str, description: str) -> PayPalRefusal:
    """PayPal's 422: the request was well-formed but breaks a business rule."""
    return PayPalRefusal(422, "UNPROCESSABLE_ENTITY", issue, description)


def invalid(issue: str, description: str) -> PayPalRefusal:
    """PayPal's 400: the request itself is wrong."""
    return PayPalRefusal(400, "INVALID_REQUEST", issue, description)


def _link(href: str, rel: str, method: str = "GET") -> dict:
    return {"href": href, "rel": rel, "method": method}


def order_links(*, base_url: str, order: Mapping, approve_rel: str) -> list[dict]:
    """An order's HATEOAS links for its status: the approval link only while the payer has
    not approved, the capture link only until it is captured."""
    url = f"{base_url}/v2/checkout/orders/{order['id']}"
    links = [_link(url, "self")]
    if order["status"] in {"CREATED", "PAYER_ACTION_REQUIRED"}:
        links.append(_link(f"{base_url}/checkoutnow?token={order['id']}", approve_rel))
    if order["status"] in {"CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"}:
        links.append(_link(url, "update", "PATCH"))
        links.append(_link(f"{url}/capture", "capture", "POST"))
    return links


def capture_resource(*, base_url: str, order_id: str, unit: Mapping, pending: bool) -> dict:
    """A capture of a purchase unit's whole amount, with a PayPal-like fee."""
    value, currency = Decimal(unit["amount"]["value"]), unit["amount"]["currency_code"]
    fee = (value * Decimal("0.0249") + Decimal("0.35")).quantize(Decimal("0.01"))
    capture_id = paypal_id()
    url = f"{base_url}/v2/payments/captures/{capture_id}"
    return {
        "id": capture_id,
        "status": "PENDING" if pending else "COMPLETED",
        **({"status_details": {"reason": "PENDING_REVIEW"}} if pending else {}),
        "amount": money(value, currency),
        "final_capture": True,
        "seller_protection": {"status": "ELIGIBLE"},
        "seller_receivable_breakdown": {
            "gross_amount": money(value, currency),
            "paypal_fee": money(fee, currency),
            "net_amount": money(value - fee, currency),
        },
        **{key: unit[key] for key in ("custom_id", "invoice_id") if key in unit},
        "links": [
            _link(url, "self"),
            _link(f"{url}/refund", "refund", "POST"),
            _link(f"{base_url}/v2/checkout/orders/{order_id}", "up"),
        ],
        "create_time": now(),
        "update_time": now(),
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }


def refund_resource(
    *, base_url: str, capture: Mapping, value: Decimal, refunded_total: Decimal
) -> dict:
    """A refund of `value`; `total_refunded_amount` counts every refund of the capture."""
    currency = capture["amount"]["currency_code"]
    refund_id = paypal_id()
    return {
        "id": refund_id,
        "amount": money(value, currency),
        "seller_payable_breakdown": {
            "gross_amount": money(value, currency),
            "paypal_fee": money(Decimal("0"), currency),
            "net_amount": money(value, currency),
            "total_refunded_amount": money(refunded_total, currency),
        },
        **{key: capture[key] for key in ("custom_id", "invoice_id") if key in capture},
        "status": "COMPLETED",
        "create_time": now(),
        "update_time": now(),
        "links": [
            _link(f"{base_url}/v2/payments/refunds/{refund_id}", "self"),
            _link(f"{base_url}/v2/payments/captures/{capture['id']}", "up"),
        ],
    }


def dispute_resource(*, capture: Mapping, value: Decimal, merchant_id: str) -> dict:
    """A chargeback the payer opened with their card issuer against a capture."""
    return {
        "dispute_id": f"PP-D-{secrets.randbelow(10**6):06d}",
        "create_time": now(),
        "update_time": now(),
        "disputed_transactions": [
            {
                "seller_transaction_id": capture["id"],
                "seller": {"merchant_id": merchant_id},
                "create_time": capture["create_time"],
                "transaction_status": "COMPLETED",
                "gross_amount": capture["amount"],
                "invoice_number": capture.get("invoice_id", ""),
                "custom": capture.get("custom_id", ""),
            }
        ],
        "reason": "UNAUTHORISED",
        "status": "OPEN",
        "dispute_amount": money(value, capture["amount"]["currency_code"]),
        "dispute_life_cycle_stage": "CHARGEBACK",
        "dispute_channel": "EXTERNAL",
        "links": [],
    }
