"""StripeGateway against FakeStripe: the real `stripe` SDK over loopback HTTP.

Start, fetch, confirm and refund go through the SDK to the fake, which checks what Stripe
checks (the key, the parameters, idempotency, the refundable amount); the hosted page is
driven over HTTP the way a browser without JavaScript drives it.
"""

from __future__ import annotations

import http.client
import socket
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest

from payments.gateways.base import GatewayError, PaymentRequest, PaymentStatus
from payments.gateways.stripe import StripeGateway


def _request(**overrides) -> PaymentRequest:
    values = {
        "reference": "TU-0001",
        "amount": Decimal("119.00"),
        "currency": "EUR",
        "description": "Tessera credit",
        "success_url": "https://portal.test/funds/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://portal.test/funds/cancelled",
        "idempotency_key": "topup-TU-0001-start",
        "payer_email": "admin@reseller.test",
        "locale": "de",
    }
    values.update(overrides)
    return PaymentRequest(**values)


def _http(method: str, url: str, form: dict | None = None) -> tuple[int, dict, str]:
    """One request, redirects not followed (a 303 is what the test looks at)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    body = urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    try:
        connection.request(method, parts.path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode()
    finally:
        connection.close()


def test_start_creates_a_checkout_session_on_the_fake(stripe_world):
    result = stripe_world.gateway.start(_request())

    assert result.status == PaymentStatus.CREATED
    assert result.provider_payment_id.startswith("cs_test_")
    assert result.redirect_url == (f"{stripe_world.api_base}/checkout/{result.provider_payment_id}")
    assert result.amount == Decimal("119.00")
    assert result.currency == "EUR"
    assert result.reference == "TU-0001"
    session = stripe_world.fake.sessions[result.provider_payment_id]
    assert session["amount_total"] == 11900
    assert session["currency"] == "eur"
    assert session["mode"] == "payment"
    assert session["client_reference_id"] == "TU-0001"
    assert session["metadata"] == {"topup_reference": "TU-0001"}
    assert session["customer_email"] == "admin@reseller.test"
    assert session["locale"] == "de"
    assert session["success_url"] == _request().success_url
    assert ("POST", "/v1/checkout/sessions", "topup-TU-0001-start") in stripe_world.fake.requests


def test_amounts_go_to_minor_units_half_up_by_the_currency(stripe_world):
    cents = stripe_world.gateway.start(_request(amount=Decimal("100.005"), idempotency_key="a"))
    yen = stripe_world.gateway.start(
        _request(amount=Decimal("5000"), currency="JPY", idempotency_key="b")
    )

    assert stripe_world.fake.sessions[cents.provider_payment_id]["amount_total"] == 10001
    assert cents.amount == Decimal("100.01")
    assert stripe_world.fake.sessions[yen.provider_payment_id]["amount_total"] == 5000
    assert yen.amount == Decimal("5000")


def test_fetch_follows_the_session_from_open_to_paid(stripe_world):
    gateway = stripe_world.gateway
    started = gateway.start(_request())
    before = gateway.fetch(provider_payment_id=started.provider_payment_id)

    stripe_world.fake.pay(started.provider_payment_id)
    after = gateway.fetch(provider_payment_id=started.provider_payment_id)
    confirmed = gateway.confirm(
        provider_payment_id=started.provider_payment_id, idempotency_key="confirm-1"
    )

    assert before.status == PaymentStatus.CREATED
    assert before.provider_charge_id == ""
    assert after.status == PaymentStatus.PAID
    assert after.amount == Decimal("119.00")
    assert after.currency == "EUR"
    assert after.provider_charge_id.startswith("pi_")
    assert after.reference == "TU-0001"
    assert after.redirect_url == ""
    assert confirmed == after


def test_fetch_reports_a_delayed_payment_pending_then_paid_or_failed(stripe_world):
    gateway, fake = stripe_world.gateway, stripe_world.fake
    settles = gateway.start(_request(reference="TU-A", idempotency_key="a"))
    fails = gateway.start(_request(reference="TU-B", idempotency_key="b"))
    fake.pay_async(settles.provider_payment_id)
    fake.pay_async(fails.provider_payment_id)

    pending = gateway.fetch(provider_payment_id=settles.provider_payment_id)
    fake.complete_async(settles.provider_payment_id)
    fake.complete_async(fails.provider_payment_id, succeed=False)

    assert pending.status == PaymentStatus.PENDING
    assert pending.provider_charge_id.startswith("pi_")
    assert gateway.fetch(provider_payment_id=settles.provider_payment_id).status == "paid"
    assert gateway.fetch(provider_payment_id=fails.provider_payment_id).status == "failed"


def test_fetch_reports_an_expired_session(stripe_world):
    started = stripe_world.gateway.start(_request())
    stripe_world.fake.expire(started.provider_payment_id)

    fetched = stripe_world.gateway.fetch(provider_payment_id=started.provider_payment_id)

    assert fetched.status == PaymentStatus.EXPIRED
    assert fetched.redirect_url == ""


def test_the_same_idempotency_key_answers_the_same_session(stripe_world):
    first = stripe_world.gateway.start(_request())
    again = stripe_world.gateway.start(_request())

    assert again.provider_payment_id == first.provider_payment_id
    assert len(stripe_world.fake.sessions) == 1


def test_the_same_idempotency_key_with_other_parameters_is_refused(stripe_world):
    stripe_world.gateway.start(_request())

    with pytest.raises(GatewayError) as refused:
        stripe_world.gateway.start(_request(amount=Decimal("238.00")))

    assert refused.value.transient is False
    assert refused.value.raw["error"]["type"] == "idempotency_error"
    assert len(stripe_world.fake.sessions) == 1


def _paid(stripe_world) -> str:
    started = stripe_world.gateway.start(_request())
    stripe_world.fake.pay(started.provider_payment_id)
    return stripe_world.gateway.fetch(
        provider_payment_id=started.provider_payment_id
    ).provider_charge_id


def test_refund_part_then_the_rest_and_no_more(stripe_world):
    gateway, fake = stripe_world.gateway, stripe_world.fake
    intent = _paid(stripe_world)

    part = gateway.refund(
        provider_charge_id=intent, amount=Decimal("19.00"), currency="EUR", idempotency_key="r1"
    )
    rest = gateway.refund(
        provider_charge_id=intent, amount=Decimal("100.00"), currency="EUR", idempotency_key="r2"
    )
    with pytest.raises(GatewayError) as refused:
        gateway.refund(
            provider_charge_id=intent, amount=Decimal("0.01"), currency="EUR", idempotency_key="r3"
        )

    assert (part.status, part.amount, part.currency) == ("succeeded", Decimal("19.00"), "EUR")
    assert part.provider_refund_id.startswith("re_")
    assert rest.amount == Decimal("100.00")
    assert refused.value.transient is False
    assert refused.value.raw["error"]["code"] == "charge_already_refunded"
    charge = fake.charges[fake.payment_intents[intent]["latest_charge"]]
    assert (charge["amount_refunded"], charge["refunded"]) == (11900, True)


def test_refund_over_the_remaining_amount_is_refused_and_moves_nothing(stripe_world):
    gateway, fake = stripe_world.gateway, stripe_world.fake
    intent = _paid(stripe_world)
    gateway.refund(
        provider_charge_id=intent, amount=Decimal("100.00"), currency="EUR", idempotency_key="r1"
    )

    with pytest.raises(GatewayError) as refused:
        gateway.refund(
            provider_charge_id=intent, amount=Decimal("19.01"), currency="EUR", idempotency_key="r2"
        )

    assert refused.value.transient is False
    assert refused.value.raw["error"]["code"] == "amount_too_large"
    assert "19.01" in str(refused.value) and "19.00" in str(refused.value)
    charge = fake.charges[fake.payment_intents[intent]["latest_charge"]]
    assert charge["amount_refunded"] == 10000
    assert len(fake.refunds) == 1


def test_a_refund_replayed_with_its_key_refunds_once(stripe_world):
    gateway, fake = stripe_world.gateway, stripe_world.fake
    intent = _paid(stripe_world)
    args = {
        "provider_charge_id": intent,
        "amount": Decimal("50.00"),
        "currency": "EUR",
        "idempotency_key": "refund-1",
    }

    first = gateway.refund(**args)
    again = gateway.refund(**args)

    assert again.provider_refund_id == first.provider_refund_id
    assert len(fake.refunds) == 1
    assert fake.charges[fake.payment_intents[intent]["latest_charge"]]["amount_refunded"] == 5000


def test_refund_of_an_unknown_or_unpaid_intent_is_refused(stripe_world):
    with pytest.raises(GatewayError) as unknown:
        stripe_world.gateway.refund(
            provider_charge_id="pi_nope", amount=Decimal("1"), currency="EUR", idempotency_key="x"
        )
    assert unknown.value.transient is False
    assert unknown.value.raw["error"]["code"] == "resource_missing"


def test_stripe_failures_say_whether_a_retry_may_help(stripe_world):
    started = stripe_world.gateway.start(_request())
    stripe_world.fake.outage = 1
    with pytest.raises(GatewayError) as outage:
        stripe_world.gateway.fetch(provider_payment_id=started.provider_payment_id)
    with pytest.raises(GatewayError) as missing:
        stripe_world.gateway.fetch(provider_payment_id="cs_test_nope")
    wrong_key = StripeGateway(
        api_key="sk_test_wrong", api_base=stripe_world.api_base, max_network_retries=0
    )
    with pytest.raises(GatewayError) as unauthorised:
        wrong_key.fetch(provider_payment_id=started.provider_payment_id)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{free.getsockname()[1]}/stripe"
    unreachable = StripeGateway(
        api_key="sk_test_tessera_fake", api_base=nobody, max_network_retries=0, timeout=2
    )
    with pytest.raises(GatewayError) as down:
        unreachable.fetch(provider_payment_id=started.provider_payment_id)

    assert outage.value.transient is True
    assert missing.value.transient is False
    assert unauthorised.value.transient is False
    assert down.value.transient is True


def test_the_gateway_reads_its_settings_when_given_nothing(settings, stripe_world):
    settings.STRIPE_SECRET_KEY = stripe_world.fake.secret_key
    settings.STRIPE_API_BASE = stripe_world.api_base + "/"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_from_settings"

    gateway = StripeGateway()

    assert gateway.webhook_secret == "whsec_from_settings"
    assert gateway.start(_request()).redirect_url.startswith(stripe_world.api_base)


# --- the hosted page, as a browser without JavaScript uses it ---------------------------------


def test_the_hosted_page_shows_the_amount_and_pay_redirects_to_success(stripe_world):
    started = stripe_world.gateway.start(_request())
    url = started.redirect_url

    status, _, page = _http("GET", url)
    paid_status, headers, _ = _http("POST", url, {"action": "pay"})

    assert status == 200
    assert "119.00 EUR" in page
    for label in ("Pay", "Pay by bank debit", "Decline", "Cancel"):
        assert f">{label}</button>" in page
    assert paid_status == 303
    assert headers["Location"] == (
        f"https://portal.test/funds/done?session={started.provider_payment_id}"
    )
    fetched = stripe_world.gateway.fetch(provider_payment_id=started.provider_payment_id)
    assert fetched.status == PaymentStatus.PAID
    assert [event["type"] for event in stripe_world.fake.events] == ["checkout.session.completed"]
    assert [d.ok for d in stripe_world.fake.deliveries] == [True]
    # The page of a paid session sends the payer on to the success page again.
    assert _http("GET", url)[0] == 303


def test_the_hosted_page_bank_debit_leaves_the_payment_pending(stripe_world):
    started = stripe_world.gateway.start(_request())

    status, headers, _ = _http("POST", started.redirect_url, {"action": "pay_async"})

    assert status == 303
    assert "session=cs_test_" in headers["Location"]
    fetched = stripe_world.gateway.fetch(provider_payment_id=started.provider_payment_id)
    assert fetched.status == PaymentStatus.PENDING


def test_the_hosted_page_decline_and_cancel_leave_the_session_open(stripe_world):
    started = stripe_world.gateway.start(_request())

    declined, _, page = _http("POST", started.redirect_url, {"action": "decline"})
    cancelled, headers, _ = _http("POST", started.redirect_url, {"action": "cancel"})

    assert declined == 200
    assert 'role="alert"' in page and "declined" in page
    assert cancelled == 303
    assert headers["Location"] == "https://portal.test/funds/cancelled"
    fetched = stripe_world.gateway.fetch(provider_payment_id=started.provider_payment_id)
    assert fetched.status == PaymentStatus.CREATED
    assert stripe_world.fake.events == []


def test_the_hosted_page_of_an_expired_session_offers_no_payment(stripe_world):
    started = stripe_world.gateway.start(_request())
    stripe_world.fake.expire(started.provider_payment_id)

    status, _, page = _http("POST", started.redirect_url, {"action": "pay"})

    assert status == 410
    assert "expired" in page
    assert "<button" not in page
    assert stripe_world.fake.sessions[started.provider_payment_id]["payment_status"] == "unpaid"
