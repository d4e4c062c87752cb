"""Stripe's wire format, as the fake in `payments.fakes.stripe` speaks it.

Kept apart from the fake's state so each half reads on its own: how the SDK encodes a request
(form bodies with bracketed keys), how Stripe answers (JSON objects, its error envelope and
status codes), how it signs a webhook, and how its amounts are written. Plain standard library:
the fakes run without Django.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from urllib.parse import parse_qsl

# The API version the fake claims on its events (the one the installed SDK pins is as good as
# any: the fake's objects carry only the fields our adapter reads, in their current shape).
API_VERSION = "2026-10-28.endive"

# Stripe writes these currencies' amounts in whole units (its "zero-decimal" list).
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)

_KEY_PART = re.compile(r"\[([^\]]*)\]")


class StripeApiError(Exception):
    """An error the fake answers in Stripe's envelope: {"error": {"type", "code", ...}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # Stripe's field name
        code: str = "",
        param: str = "",
    ):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message}}
        if code:
            self.body["error"]["code"] = code
        if param:
            self.body["error"]["param"] = param


def new_id(prefix: str) -> str:
    """An id shaped like Stripe's (`cs_test_…`, `pi_…`, `evt_…`)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict:
    """Stripe's form encoding back into nested values: `a[b][0][c]=1` → {"a": {"b": [{"c":
    "1"}]}}. A level whose keys are all digits becomes a list in index order; `a[]=x` appends.
    Leaf values stay strings, as on the wire."""
    root: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + (_KEY_PART.findall("[" + rest) if rest else [])
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise StripeApiError(400, f"Invalid value for {key}.", param=key)
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    values = {key: _lists(value) for key, value in node.items()}
    if values and all(key.isdigit() for key in values):
        return [values[key] for key in sorted(values, key=int)]
    return values


def parse_body(environ: Mapping) -> dict:
    """The decoded form body of a POST (empty for none)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    return parse_query(raw.decode("utf-8"))


def parse_query(text: str) -> dict:
    return decode_form(parse_qsl(text, keep_blank_values=True))


def as_int(params: Mapping, name: str, *, param: str = "") -> int:
    """A whole-number parameter, refused as Stripe refuses it (400 with `param`)."""
    value = params.get(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeApiError(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param or name
        ) from None
    if number < 0:
        raise StripeApiError(400, f"Invalid {name}: must be positive.", param=param or name)
    return number


def as_bool(value) -> bool:
    return str(value).lower() == "true"


def major(amount_minor: int, currency: str) -> str:
    """Minor units as the hosted page writes them (`119.00 EUR`)."""
    digits = 0 if currency.upper() in ZERO_DECIMAL else 2
    value = Decimal(amount_minor).scaleb(-digits)
    return f"{value:,.{digits}f} {currency.upper()}"


def sign(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for `body`: `t=<unix>,v1=<hex HMAC-SHA256 of
    "<t>.<body>" keyed with the endpoint's signing secret>`, exactly Stripe's scheme."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def json_body(value) -> bytes:
    return json.dumps(value, indent=2, sort_keys=False).encode()


def fingerprint(method: str, path: str, params: Mapping) -> str:
    """What an idempotent request is compared by: the same key with another endpoint or
    other parameters is refused (Stripe's `idempotency_error`)."""
    return hashlib.sha256(json.dumps([method, path, params], sort_keys=True).encode()).hexdigest()
