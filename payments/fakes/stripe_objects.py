"""The Stripe objects the fake hands out, in Stripe's JSON shape.

Each builder answers a new object with the fields Stripe's API reference gives it that our
adapter (or a reader of the event log) may look at; `new_session` also refuses the parameters
Stripe would refuse, with Stripe's messages, so a wrong call fails here as it would there.
"""

from __future__ import annotations

import copy
import time

from payments.fakes.stripe_wire import API_VERSION, ZERO_DECIMAL, StripeApiError, as_int, new_id

# The Checkout Session parameters the fake accepts; Stripe refuses any it does not know.
SESSION_PARAMS = frozenset(
    [
        "mode",
        "line_items",
        "success_url",
        "cancel_url",
        "client_reference_id",
        "customer_email",
        "locale",
        "metadata",
        "payment_intent_data",
        "payment_method_types",
        "expires_at",
        "expand",
        "submit_type",
        "ui_mode",
        "billing_address_collection",
        "allow_promotion_codes",
        "customer",
    ]
)
LOCALES = frozenset(
    [
        "auto",
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "en-GB",
        "es",
        "es-419",
        "et",
        "fi",
        "fil",
        "fr",
        "fr-CA",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lt",
        "lv",
        "ms",
        "mt",
        "nb",
        "nl",
        "pl",
        "pt",
        "pt-BR",
        "ro",
        "ru",
        "sk",
        "sl",
        "sv",
        "th",
        "tr",
        "vi",
        "zh",
        "zh-HK",
        "zh-TW",
    ]
)


def new_session(params: dict, *, base_url: str) -> tuple[dict, str, dict]:
    """A Checkout Session (open, unpaid) from the create call's parameters; also answers the
    line items' description and `payment_intent_data.metadata`, kept for the payment intent
    the session creates once paid."""
    unknown = sorted(set(params) - SESSION_PARAMS)
    if unknown:
        raise StripeApiError(400, f"Received unknown parameter: {unknown[0]}", param=unknown[0])
    if params.get("mode") != "payment":
        raise StripeApiError(
            400, "Missing or unsupported mode (the fake knows mode=payment).", param="mode"
        )
    if not params.get("success_url"):
        raise StripeApiError(400, "Missing required param: success_url.", param="success_url")
    total, currency, names = _line_items(params.get("line_items"))
    locale = params.get("locale")
    if locale is not None and locale not in LOCALES:
        raise StripeApiError(400, f"Invalid locale: {locale}.", param="locale")
    session_id = new_id("cs_test")
    now = int(time.time())
    email = params.get("customer_email") or None
    session = {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": params.get("cancel_url") or None,
        "client_reference_id": params.get("client_reference_id") or None,
        "created": now,
        "currency": currency,
        "customer": None,
        "customer_details": {"email": email} if email else None,
        "customer_email": email,
        "expires_at": int(params.get("expires_at") or now + 24 * 3600),
        "livemode": False,
        "locale": locale,
        "metadata": dict(params.get("metadata") or {}),
        "mode": "payment",
        "payment_intent": None,  # created when the payer pays
        "payment_method_types": params.get("payment_method_types") or ["card", "sepa_debit"],
        "payment_status": "unpaid",
        "status": "open",
        "success_url": params["success_url"],
        "url": f"{base_url}/checkout/{session_id}",
    }
    intent_metadata = dict((params.get("payment_intent_data") or {}).get("metadata") or {})
    return session, ", ".join(names), intent_metadata


def _line_items(items) -> tuple[int, str, list[str]]:
    """The total in minor units, the one currency and the names of `line_items`."""
    if not isinstance(items, list) or not items:
        raise StripeApiError(400, "You must specify line_items.", param="line_items")
    total, currency, names = 0, "", []
    for i, item in enumerate(items):
        price = item.get("price_data") if isinstance(item, dict) else None
        where = f"line_items[{i}][price_data]"
        if not isinstance(price, dict):
            raise StripeApiError(400, "Missing required param: price_data.", param=where)
        item_currency = str(price.get("currency", ""))
        if len(item_currency) != 3 or item_currency != item_currency.lower():
            raise StripeApiError(
                400, f"Invalid currency: {item_currency}.", param=f"{where}[currency]"
            )
        if currency and item_currency != currency:
            raise StripeApiError(400, "All line items must share one currency.", param=where)
        currency = item_currency
        name = (price.get("product_data") or {}).get("name")
        if not name:
            raise StripeApiError(400, "Missing required param: product_data[name].", param=where)
        names.append(name)
        unit = as_int(price, "unit_amount", param=f"{where}[unit_amount]")
        total += unit * as_int(item, "quantity", param=f"line_items[{i}][quantity]")
    if total < (1 if currency.upper() in ZERO_DECIMAL else 50):
        raise StripeApiError(
            400,
            "The Checkout Session's total amount must be at least 0.50.",
            code="amount_too_small",
        )
    return total, currency, names


def new_payment_intent(
    session: dict, *, description: str, metadata: dict, async_method: bool
) -> dict:
    """The intent a session creates when the payer pays; "processing" until it settles."""
    return {
        "id": new_id("pi"),
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_received": 0,
        "currency": session["currency"],
        "created": int(time.time()),
        "description": description,
        "latest_charge": None,
        "livemode": False,
        "metadata": dict(metadata),
        "payment_method_types": ["sepa_debit" if async_method else "card"],
        "status": "processing",
    }


def new_charge(intent: dict) -> dict:
    """The successful charge of a settled intent (Stripe copies the intent's metadata)."""
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"],
        "amount_refunded": 0,
        "captured": True,
        "created": int(time.time()),
        "currency": intent["currency"],
        "disputed": False,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "paid": True,
        "payment_intent": intent["id"],
        "refunded": False,
        "status": "succeeded",
    }


def new_refund(charge: dict, *, amount: int, metadata: dict) -> dict:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "charge": charge["id"],
        "created": int(time.time()),
        "currency": charge["currency"],
        "metadata": dict(metadata),
        "payment_intent": charge["payment_intent"],
        "reason": None,
        "status": "succeeded",
    }


def new_dispute(charge: dict, *, amount: int) -> dict:
    return {
        "id": new_id("du"),
        "object": "dispute",
        "amount": amount,
        "charge": charge["id"],
        "currency": charge["currency"],
        "payment_intent": charge["payment_intent"],
        "reason": "fraudulent",
        "status": "needs_response",
        "is_charge_refundable": False,
        "created": int(time.time()),
        "livemode": False,
        "metadata": {},
    }


def new_event(event_type: str, obj: dict) -> dict:
    """A snapshot event: `data.object` is a copy of the object as it is now."""
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": copy.deepcopy(obj)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
