"""The PayPal adapter against the fake PayPal: the real paypal-server-sdk over real HTTP.

Orders are created, approved on the fake's page, captured and refunded the way a top-up will
be; what the adapter reports is compared with what the fake holds.
"""

from __future__ import annotations

import json
import socket
from decimal import Decimal

import pytest
import requests

from payments.gateways.base import (
    GatewayError,
    PaymentRequest,
    PaymentStatus,
)
from payments.gateways.paypal import PayPalGateway


def payment_request(**overrides) -> PaymentRequest:
    values = {
        "reference": "TU-2026-000123",
        "amount": Decimal("100"),
        "currency": "EUR",
        "description": "Tessera credit top-up",
        "success_url": "https://portal.example/payments/paypal/return?topup=123",
        "cancel_url": "https://portal.example/payments/paypal/cancel?topup=123",
        "idempotency_key": "topup-123-start",
        "locale": "de",
    }
    return PaymentRequest(**{**values, **overrides})


def issues(error: GatewayError) -> set[str]:
    return {detail["issue"] for detail in error.raw.get("details", [])}


def approve_on_page(redirect_url: str) -> requests.Response:
    """The payer opens the approval link and presses Approve (no JavaScript needed)."""
    page = requests.get(redirect_url, timeout=10)
    assert page.status_code == 200
    assert "Approve" in page.text
    assert "100.00 EUR" in page.text
    action = redirect_url.split("?")[0]
    token = redirect_url.split("token=")[1]
    return requests.post(
        action, data={"token": token, "action": "approve"}, allow_redirects=False, timeout=10
    )


def paid_order(gateway, fake, **overrides):
    started = gateway.start(payment_request(**overrides))
    fake.approve(started.provider_payment_id)
    return gateway.confirm(
        provider_payment_id=started.provider_payment_id, idempotency_key="topup-123-capture"
    )


def test_start_creates_an_order_with_the_approval_link(paypal_gateway, paypal_fake):
    result = paypal_gateway.start(payment_request())

    assert result.status == PaymentStatus.CREATED
    order = paypal_fake.orders[result.provider_payment_id]
    assert result.redirect_url == (
        f"{paypal_fake.base_url}/checkoutnow?token={result.provider_payment_id}"
    )
    assert order["intent"] == "CAPTURE"
    unit = order["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "EUR", "value": "100.00"}
    assert unit["custom_id"] == unit["invoice_id"] == "TU-2026-000123"
    assert unit["description"] == "Tessera credit top-up"
    assert (result.amount, result.currency, result.reference) == (
        Decimal("100.00"),
        "EUR",
        "TU-2026-000123",
    )


def test_start_again_with_the_same_key_answers_the_same_order(paypal_gateway, paypal_fake):
    first = paypal_gateway.start(payment_request())
    second = paypal_gateway.start(payment_request())
    other = paypal_gateway.start(payment_request(idempotency_key="topup-124-start"))

    assert first.provider_payment_id == second.provider_payment_id
    assert other.provider_payment_id != first.provider_payment_id
    assert len(paypal_fake.orders) == 2


def test_the_approval_page_returns_the_payer_to_the_success_url(paypal_gateway, paypal_fake):
    started = paypal_gateway.start(payment_request())

    answer = approve_on_page(started.redirect_url)

    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith("https://portal.example/payments/paypal/return?topup=123&")
    assert f"token={started.provider_payment_id}" in location
    assert "PayerID=" in location
    approved = paypal_gateway.fetch(provider_payment_id=started.provider_payment_id)
    assert approved.status == PaymentStatus.APPROVED
    assert approved.amount == Decimal("100.00")
    assert approved.reference == "TU-2026-000123"


def test_cancel_on_the_approval_page_goes_to_the_cancel_url(paypal_gateway):
    started = paypal_gateway.start(payment_request())

    answer = requests.post(
        started.redirect_url.split("?")[0],
        data={"token": started.provider_payment_id, "action": "cancel"},
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 303
    assert answer.headers["Location"] == (
        "https://portal.example/payments/paypal/cancel?topup=123"
        f"&token={started.provider_payment_id}"
    )
    assert (
        paypal_gateway.fetch(provider_payment_id=started.provider_payment_id).status
        == PaymentStatus.CREATED
    )


def test_capture_before_approval_is_refused(paypal_gateway, paypal_fake):
    started = paypal_gateway.start(payment_request())

    with pytest.raises(GatewayError) as refused:
        paypal_gateway.confirm(
            provider_payment_id=started.provider_payment_id, idempotency_key="capture-1"
        )

    assert not refused.value.transient
    assert issues(refused.value) == {"ORDER_NOT_APPROVED"}
    assert paypal_fake.captures == {}


def test_approve_and_confirm_is_paid_with_the_capture(paypal_gateway, paypal_fake):
    started = paypal_gateway.start(payment_request())
    approve_on_page(started.redirect_url)

    result = paypal_gateway.confirm(
        provider_payment_id=started.provider_payment_id, idempotency_key="capture-1"
    )

    (capture_id,) = paypal_fake.captures
    assert result.status == PaymentStatus.PAID
    assert result.provider_payment_id == started.provider_payment_id
    assert result.provider_charge_id == capture_id
    assert (result.amount, result.currency) == (Decimal("100.00"), "EUR")
    assert result.reference == "TU-2026-000123"
    assert paypal_gateway.fetch(provider_payment_id=started.provider_payment_id) == result


def test_the_amount_is_the_captures_not_the_orders(paypal_gateway, paypal_fake):
    """What counts is what PayPal collected: a capture differing from the order shows."""
    paid = paid_order(paypal_gateway, paypal_fake)
    paypal_fake.captures[paid.provider_charge_id]["amount"] = {
        "currency_code": "USD",
        "value": "90.00",
    }

    fetched = paypal_gateway.fetch(provider_payment_id=paid.provider_payment_id)

    assert (fetched.amount, fetched.currency) == (Decimal("90.00"), "USD")


def test_confirm_twice_answers_the_same_capture(paypal_gateway, paypal_fake):
    first = paid_order(paypal_gateway, paypal_fake)

    replay = paypal_gateway.confirm(
        provider_payment_id=first.provider_payment_id, idempotency_key="topup-123-capture"
    )
    other_key = paypal_gateway.confirm(
        provider_payment_id=first.provider_payment_id, idempotency_key="webhook-path"
    )

    assert replay.provider_charge_id == other_key.provider_charge_id == first.provider_charge_id
    assert replay.status == other_key.status == PaymentStatus.PAID
    assert len(paypal_fake.captures) == 1
    completed = [d for d in paypal_fake.deliveries if d["event_type"].startswith("PAYMENT.")]
    assert [d["event_type"] for d in completed] == ["PAYMENT.CAPTURE.COMPLETED"]


def test_a_pending_capture_is_pending_until_paypal_settles_it(paypal_gateway, paypal_fake):
    paypal_fake.capture_pending_next(True)
    pending = paid_order(paypal_gateway, paypal_fake)
    assert pending.status == PaymentStatus.PENDING
    assert pending.provider_charge_id

    paypal_fake.complete_pending(pending.provider_charge_id)

    settled = paypal_gateway.fetch(provider_payment_id=pending.provider_payment_id)
    assert settled.status == PaymentStatus.PAID


def test_a_denied_capture_fails(paypal_gateway, paypal_fake):
    paypal_fake.capture_pending_next(True)
    pending = paid_order(paypal_gateway, paypal_fake)

    paypal_fake.deny_pending(pending.provider_charge_id)

    denied = paypal_gateway.fetch(provider_payment_id=pending.provider_payment_id)
    assert denied.status == PaymentStatus.FAILED


def test_a_voided_order_has_expired(paypal_gateway, paypal_fake):
    started = paypal_gateway.start(payment_request())

    paypal_fake.void(started.provider_payment_id)

    expired = paypal_gateway.fetch(provider_payment_id=started.provider_payment_id)
    assert expired.status == PaymentStatus.EXPIRED


def test_an_unknown_order_is_a_gateway_error(paypal_gateway):
    with pytest.raises(GatewayError) as error:
        paypal_gateway.fetch(provider_payment_id="NOSUCHORDER")

    assert not error.value.transient
    assert issues(error.value) == {"INVALID_RESOURCE_ID"}


def test_a_full_refund(paypal_gateway, paypal_fake):
    paid = paid_order(paypal_gateway, paypal_fake)

    refund = paypal_gateway.refund(
        provider_charge_id=paid.provider_charge_id,
        amount=Decimal("100"),
        currency="EUR",
        idempotency_key="refund-1",
    )

    assert refund.status == "succeeded"
    assert (refund.amount, refund.currency) == (Decimal("100.00"), "EUR")
    assert refund.provider_refund_id in paypal_fake.refunds
    assert paypal_fake.captures[paid.provider_charge_id]["status"] == "REFUNDED"


def test_partial_refunds_up_to_the_capture_and_not_beyond(paypal_gateway, paypal_fake):
    paid = paid_order(paypal_gateway, paypal_fake)

    def refund(amount: str, key: str):
        return paypal_gateway.refund(
            provider_charge_id=paid.provider_charge_id,
            amount=Decimal(amount),
            currency="EUR",
            idempotency_key=key,
        )

    first = refund("30.00", "refund-1")
    again = refund("30.00", "refund-1")  # a retry of the same refund
    second = refund("50.00", "refund-2")
    with pytest.raises(GatewayError) as over:
        refund("20.01", "refund-3")
    last = refund("20.00", "refund-4")

    assert first.provider_refund_id == again.provider_refund_id
    assert len({first.provider_refund_id, second.provider_refund_id, last.provider_refund_id}) == 3
    assert len(paypal_fake.refunds) == 3
    assert issues(over.value) == {"REFUND_AMOUNT_EXCEEDED"}
    assert not over.value.transient
    assert paypal_fake.captures[paid.provider_charge_id]["status"] == "REFUNDED"


def test_a_refund_in_another_currency_is_refused(paypal_gateway, paypal_fake):
    paid = paid_order(paypal_gateway, paypal_fake)

    with pytest.raises(GatewayError) as refused:
        paypal_gateway.refund(
            provider_charge_id=paid.provider_charge_id,
            amount=Decimal("10"),
            currency="USD",
            idempotency_key="refund-usd",
        )

    assert issues(refused.value) == {"REFUND_CAPTURE_CURRENCY_MISMATCH"}


def test_paypal_failing_is_a_transient_error(paypal_gateway, paypal_fake):
    started = paypal_gateway.start(payment_request())
    paypal_fake.fail_next(503)

    with pytest.raises(GatewayError) as error:
        paypal_gateway.fetch(provider_payment_id=started.provider_payment_id)

    assert error.value.transient
    assert paypal_gateway.fetch(provider_payment_id=started.provider_payment_id).status == (
        PaymentStatus.CREATED
    )


def test_paypal_out_of_reach_is_a_transient_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    gateway = PayPalGateway(
        client_id="id", client_secret="secret", webhook_id="WH", api_base=f"http://127.0.0.1:{port}"
    )

    with pytest.raises(GatewayError) as error:
        gateway.start(payment_request())

    assert error.value.transient


def test_wrong_credentials_are_not_retried(paypal_fake):
    gateway = PayPalGateway(
        client_id=paypal_fake.client_id,
        client_secret="not-the-secret",
        webhook_id=paypal_fake.webhook_id,
        api_base=paypal_fake.base_url,
    )

    with pytest.raises(GatewayError) as error:
        gateway.start(payment_request())

    assert not error.value.transient
    assert paypal_fake.orders == {}


def test_one_token_serves_every_call(paypal_gateway, paypal_fake):
    paid = paid_order(paypal_gateway, paypal_fake)
    paypal_gateway.fetch(provider_payment_id=paid.provider_payment_id)
    delivery = paypal_fake.deliveries[-1]
    paypal_gateway.verify_notification(body=delivery["body"], headers=delivery["headers"])

    assert paypal_fake.tokens_issued == 1


def test_the_api_wants_a_bearer_token(paypal_fake):
    answer = requests.post(
        f"{paypal_fake.base_url}/v2/checkout/orders",
        json={"intent": "CAPTURE", "purchase_units": []},
        headers={"Authorization": "Bearer made-up"},
        timeout=10,
    )

    assert answer.status_code == 401
    assert json.loads(answer.text)["error"] == "invalid_token"


def test_settings_configure_the_gateway(settings, paypal_fake):
    settings.PAYPAL_CLIENT_ID = paypal_fake.client_id
    settings.PAYPAL_CLIENT_SECRET = paypal_fake.client_secret
    settings.PAYPAL_WEBHOOK_ID = paypal_fake.webhook_id
    settings.PAYPAL_API_BASE = paypal_fake.base_url
    settings.PAYMENTS_HTTP_TIMEOUT = 7.5

    gateway = PayPalGateway()

    assert (gateway.api_base, gateway.timeout) == (paypal_fake.base_url, 7.5)
    assert gateway.start(payment_request()).status == PaymentStatus.CREATED


@pytest.mark.parametrize(
    ("environment", "base"),
    [("live", "https://api-m.paypal.com"), ("sandbox", "https://api-m.sandbox.paypal.com")],
)
def test_without_an_api_base_the_environment_picks_paypal(environment, base):
    gateway = PayPalGateway(
        client_id="id",
        client_secret="secret",
        webhook_id="WH",
        environment=environment,
        api_base="",
    )

    assert gateway.api_base == base


def test_a_token_paypal_stopped_accepting_is_renewed(paypal_gateway, paypal_fake):
    started = paypal_gateway.start(payment_request())
    paypal_fake.revoke_tokens()

    fetched = paypal_gateway.fetch(provider_payment_id=started.provider_payment_id)
    again = paypal_gateway.fetch(provider_payment_id=started.provider_payment_id)

    assert fetched.status == again.status == PaymentStatus.CREATED
    assert paypal_fake.tokens_issued == 2
