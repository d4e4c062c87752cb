"""PayPal Instant Payment Notification (IPN): reading one and asking PayPal whether it sent it.

A reseller's customers pay into the reseller's own PayPal account (PayPal Payments Standard);
PayPal then posts an IPN to the portal. An IPN carries no signature: the only proof is to post
the message back, byte for byte, prefixed with `cmd=_notify-validate`, to PayPal's IPN endpoint,
which answers `VERIFIED` or `INVALID`. `ipn_verify` does exactly that; it is an outside call and
runs in a task, never in the request that received the IPN nor inside a transaction.

`ipn_parse` reads the form-encoded body in the charset the message names (`charset`, PayPal's
default windows-1252), keeping the raw bytes for the postback. What the fields must say before
a payment is credited (status Completed, this reseller's receiver, the order's currency and
amount, a txn_id never seen) is the crediting service's to check, not this module's.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from urllib.parse import parse_qsl

import requests
from django.conf import settings

from payments.gateways.base import GatewayError

# PayPal's IPN postback endpoints (the IPN integration guide); PAYPAL_IPN_VERIFY_URL, when
# set, wins (the loopback fake in `make run` and the tests).
IPN_ENDPOINTS = {
    "live": "https://ipnpb.paypal.com/cgi-bin/webscr",
    "sandbox": "https://ipnpb.sandbox.paypal.com/cgi-bin/webscr",
}
VALIDATE_PREFIX = b"cmd=_notify-validate&"
DEFAULT_CHARSET = "windows-1252"
# An IPN is a small form; anything larger is not one.
MAX_BODY_BYTES = 64 * 1024


class IpnVerdict(StrEnum):
    VERIFIED = "verified"
    INVALID = "invalid"


class IpnMalformed(ValueError):
    """The body is not an IPN: not form-encoded, an unknown charset, too large, or a
    required field missing."""


@dataclass(frozen=True)
class IpnMessage:
    """The fields of one IPN as PayPal sent them, and its raw body (for the postback)."""

    raw: bytes
    fields: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def txn_id(self) -> str:
        return self.get("txn_id")

    @property
    def parent_txn_id(self) -> str:
        return self.get("parent_txn_id")

    @property
    def payment_status(self) -> str:
        return self.get("payment_status")

    @property
    def receiver_email(self) -> str:
        return self.get("receiver_email").strip().lower()

    @property
    def receiver_id(self) -> str:
        return self.get("receiver_id").strip()

    @property
    def currency(self) -> str:
        return self.get("mc_currency").upper()

    @property
    def gross(self) -> Decimal | None:
        """`mc_gross` as a Decimal (negative on a refund or reversal); None when absent or
        not a number."""
        try:
            amount = Decimal(self.get("mc_gross"))
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None

    @property
    def custom(self) -> str:
        return self.get("custom")

    @property
    def invoice(self) -> str:
        return self.get("invoice")


def ipn_parse(body: bytes) -> IpnMessage:
    """Read an IPN body (IpnMalformed when it is none)."""
    if not body or len(body) > MAX_BODY_BYTES:
        raise IpnMalformed("empty or too large")
    try:
        # The charset is named inside the body; its name is ASCII whatever the charset.
        named = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True)).get("charset")
        charset = codecs.lookup(named or DEFAULT_CHARSET).name
        text = body.decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise IpnMalformed(f"unreadable: {exc}") from None
    pairs = parse_qsl(text, keep_blank_values=True, encoding=charset, strict_parsing=False)
    if not pairs:
        raise IpnMalformed("no fields")
    fields = dict(pairs)
    if not fields.get("txn_id") and not fields.get("txn_type"):
        raise IpnMalformed("neither txn_id nor txn_type")
    return IpnMessage(raw=body, fields=fields)


def ipn_verify_url() -> str:
    override = getattr(settings, "PAYPAL_IPN_VERIFY_URL", "")
    if override:
        return override
    return IPN_ENDPOINTS.get(settings.PAYPAL_ENVIRONMENT, IPN_ENDPOINTS["sandbox"])


def ipn_verify(message: IpnMessage, *, url: str | None = None, timeout: float | None = None):
    """Ask PayPal whether it sent `message`: its raw body posted back after
    `cmd=_notify-validate&`. VERIFIED or INVALID; any other answer, or no answer, is a
    transient GatewayError (the task asks again later)."""
    try:
        response = requests.post(
            url or ipn_verify_url(),
            data=VALIDATE_PREFIX + message.raw,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "Tessera-IPN-Verifier",
            },
            timeout=float(settings.PAYMENTS_HTTP_TIMEOUT if timeout is None else timeout),
        )
    except requests.RequestException as exc:
        raise GatewayError(f"IPN postback failed: {exc}", transient=True) from exc
    answer = response.text.strip()
    if response.status_code == 200 and answer == "VERIFIED":
        return IpnVerdict.VERIFIED
    if response.status_code == 200 and answer == "INVALID":
        return IpnVerdict.INVALID
    raise GatewayError(
        f"IPN postback answered {response.status_code} {answer[:40]!r}", transient=True
    )
