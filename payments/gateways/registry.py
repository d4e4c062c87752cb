"""The registry: method name → adapter, in a plain dict.

An adapter is built from the settings when first asked for and kept while the settings it
read stay the same (PayPal's adapter caches its OAuth token; a test that points the settings
at a fake gets a fresh one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings

from payments.gateways.bank import BankTransferGateway
from payments.gateways.base import Gateway
from payments.gateways.paypal import PayPalGateway
from payments.gateways.stripe import StripeGateway

GATEWAYS: dict[str, Callable[[], Gateway]] = {
    "stripe": StripeGateway,
    "paypal": PayPalGateway,
    "bank": BankTransferGateway,
}

# The settings each adapter reads: when one changes, the adapter is built again.
_SETTINGS = {
    "stripe": ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"),
    "paypal": (
        "PAYPAL_CLIENT_ID",
        "PAYPAL_CLIENT_SECRET",
        "PAYPAL_WEBHOOK_ID",
        "PAYPAL_ENVIRONMENT",
        "PAYPAL_API_BASE",
    ),
    "bank": (),
}
# Without these, the method is not offered.
_REQUIRED = {"stripe": "STRIPE_SECRET_KEY", "paypal": "PAYPAL_CLIENT_ID"}

_built: dict[str, tuple[tuple, Gateway]] = {}
_lock = threading.Lock()


def _signature(name: str) -> tuple:
    return tuple(getattr(settings, key, None) for key in _SETTINGS[name])


def gateway(name: str) -> Gateway:
    """The adapter for `name` ("stripe", "paypal", "bank"); KeyError for another."""
    factory = GATEWAYS[name]
    signature = _signature(name)
    with _lock:
        built = _built.get(name)
        if built is None or built[0] != signature:
            built = (signature, factory())
            _built[name] = built
    return built[1]


def method_available(name: str) -> bool:
    """Whether Add funds offers `name`: listed in PAYMENT_METHODS and configured."""
    if name not in GATEWAYS or name not in settings.PAYMENT_METHODS:
        return False
    required = _REQUIRED.get(name)
    if required and not getattr(settings, required, ""):
        return False
    # A bank transfer needs the operator's account to transfer to.
    return name != "bank" or bool(settings.OPERATOR.get("iban"))


def checkout_origin(name: str) -> str:
    """Where `name` sends the payer to pay ("" for none): a page that posts a form leading
    there must allow it in its CSP `form-action` (browsers check each redirect of a form
    submission against it)."""
    if name == "stripe":
        base = settings.STRIPE_API_BASE
        return _origin(base) if base else "https://checkout.stripe.com"
    if name == "paypal":
        if settings.PAYPAL_API_BASE:
            return _origin(settings.PAYPAL_API_BASE)
        live = settings.PAYPAL_ENVIRONMENT == "live"
        return "https://www.paypal.com" if live else "https://www.sandbox.paypal.com"
    return ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def available_methods() -> list[str]:
    return [name for name in settings.PAYMENT_METHODS if method_available(name)]
