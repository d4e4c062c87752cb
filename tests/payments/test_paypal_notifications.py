"""PayPal webhooks: verified through verify-webhook-signature on the fake, then normalised.

Every event here is one the fake sent for something that happened to a payment (approve,
capture, refund, dispute), signed the way PayPal signs; the forged ones are those events
altered on the way.
"""

from __future__ import annotations

import json
import socket
from decimal import Decimal

import pytest

from payments.fakes.paypal import FakePayPal
from payments.fakes.server import serve
from payments.gateways.base import EventKind, GatewayError, NotificationRejected
from payments.gateways.paypal import PayPalGateway
from tests.payments.test_paypal_gateway import paid_order, payment_request


def sent(fake, event_type: str) -> dict:
    (delivery,) = [d for d in fake.deliveries if d["event_type"] == event_type]
    return delivery


def verify(gateway, delivery: dict):
    return gateway.verify_notification(body=delivery["body"], headers=delivery["headers"])


def rejected(gateway, body: bytes, headers: dict) -> NotificationRejected:
    with pytest.raises(NotificationRejected) as rejection:
        gateway.verify_notification(body=body, headers=headers)
    return rejection.value


@pytest.fixture
def paid(paypal_gateway, paypal_fake):
    return paid_order(paypal_gateway, paypal_fake)


def test_a_genuine_event_verifies(paypal_gateway, paypal_fake, paid):
    notification = verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED"))

    assert notification.provider == "paypal"
    assert notification.kind == EventKind.PAID
    assert notification.event_id == sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")["event_id"]


def test_headers_are_read_whatever_their_case(paypal_gateway, paypal_fake, paid):
    delivery = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")
    lowered = {name.lower(): value for name, value in delivery["headers"].items()}

    assert paypal_gateway.verify_notification(body=delivery["body"], headers=lowered).kind == (
        EventKind.PAID
    )


def test_a_forged_signature_is_rejected(paypal_gateway, paypal_fake, paid):
    completed = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")
    approved = sent(paypal_fake, "CHECKOUT.ORDER.APPROVED")
    headers = {
        **completed["headers"],
        "PAYPAL-TRANSMISSION-SIG": approved["headers"]["PAYPAL-TRANSMISSION-SIG"],
    }

    rejection = rejected(paypal_gateway, completed["body"], headers)

    assert rejection.reason == NotificationRejected.BAD_SIGNATURE


def test_an_event_signed_by_another_key_is_rejected(paypal_gateway, paypal_fake, paid):
    """Someone with their own key and certificate, pointing cert_url at PayPal's."""
    completed = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")
    body, headers = FakePayPal(base_url=paypal_fake.base_url).signed(completed["event"])
    headers["PAYPAL-CERT-URL"] = paypal_fake.cert_url

    assert rejected(paypal_gateway, body, headers).reason == NotificationRejected.BAD_SIGNATURE


def test_a_tampered_body_is_rejected(paypal_gateway, paypal_fake, paid):
    completed = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")
    event = json.loads(completed["body"])
    event["resource"]["amount"]["value"] = "1000.00"

    rejection = rejected(paypal_gateway, json.dumps(event).encode(), completed["headers"])

    assert rejection.reason == NotificationRejected.BAD_SIGNATURE


def test_an_event_for_another_webhook_is_rejected(paypal_gateway, paypal_fake, paid):
    completed = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")
    body, headers = paypal_fake.signed(completed["event"], webhook_id="WH-SOMEONE-ELSE")

    assert rejected(paypal_gateway, body, headers).reason == NotificationRejected.BAD_SIGNATURE


def test_a_gateway_of_another_webhook_rejects_ours(paypal_fake, paid):
    other = PayPalGateway(
        client_id=paypal_fake.client_id,
        client_secret=paypal_fake.client_secret,
        webhook_id="WH-ANOTHER-APP",
        api_base=paypal_fake.base_url,
    )
    completed = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")

    with pytest.raises(NotificationRejected):
        verify(other, completed)


@pytest.mark.parametrize(
    "header",
    [
        "PAYPAL-AUTH-ALGO",
        "PAYPAL-CERT-URL",
        "PAYPAL-TRANSMISSION-ID",
        "PAYPAL-TRANSMISSION-SIG",
        "PAYPAL-TRANSMISSION-TIME",
    ],
)
def test_a_missing_header_is_rejected(paypal_gateway, paypal_fake, paid, header):
    completed = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")
    headers = {k: v for k, v in completed["headers"].items() if k != header}

    rejection = rejected(paypal_gateway, completed["body"], headers)

    assert rejection.reason == NotificationRejected.BAD_SIGNATURE
    assert paypal_fake.tokens_issued == 1  # refused before asking PayPal


def test_another_certificate_url_is_rejected(paypal_gateway, paypal_fake, paid):
    completed = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")
    headers = {
        **completed["headers"],
        "PAYPAL-CERT-URL": "https://attacker.example/v1/notifications/certs/CERT-mine",
    }

    assert rejected(paypal_gateway, completed["body"], headers).reason == (
        NotificationRejected.BAD_SIGNATURE
    )


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"id": "WH-1"}', b"\xff\xfe"])
def test_an_unreadable_body_is_malformed(paypal_gateway, paypal_fake, paid, body):
    headers = sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED")["headers"]

    assert rejected(paypal_gateway, body, headers).reason == NotificationRejected.MALFORMED


def test_paypal_out_of_reach_for_verification_is_transient(paypal_fake, paid):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    gateway = PayPalGateway(
        client_id=paypal_fake.client_id,
        client_secret=paypal_fake.client_secret,
        webhook_id=paypal_fake.webhook_id,
        api_base=f"http://127.0.0.1:{port}/paypal",
    )

    with pytest.raises(GatewayError) as error:
        verify(gateway, sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED"))

    assert error.value.transient


def test_paypal_failing_to_verify_is_transient(paypal_gateway, paypal_fake, paid):
    paypal_fake.fail_next(500)

    with pytest.raises(GatewayError) as error:
        verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED"))

    assert error.value.transient


def test_a_token_paypal_stopped_accepting_is_renewed(paypal_gateway, paypal_fake, paid):
    paypal_fake.revoke_tokens()

    notification = verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED"))

    assert notification.kind == EventKind.PAID
    assert paypal_fake.tokens_issued == 2


# --- what each event means ------------------------------------------------------------------


def test_order_approved(paypal_gateway, paypal_fake, paid):
    notification = verify(paypal_gateway, sent(paypal_fake, "CHECKOUT.ORDER.APPROVED"))

    assert notification.kind == EventKind.APPROVED
    assert notification.event_type == "CHECKOUT.ORDER.APPROVED"
    assert notification.provider_payment_id == paid.provider_payment_id
    assert notification.reference == "TU-2026-000123"
    assert (notification.amount, notification.currency) == (Decimal("100.00"), "EUR")


def test_capture_completed(paypal_gateway, paypal_fake, paid):
    notification = verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED"))

    assert notification.kind == EventKind.PAID
    assert notification.provider_payment_id == paid.provider_payment_id
    assert notification.provider_charge_id == paid.provider_charge_id
    assert notification.reference == "TU-2026-000123"
    assert (notification.amount, notification.currency) == (Decimal("100.00"), "EUR")


def test_capture_pending_then_completed(paypal_gateway, paypal_fake):
    paypal_fake.capture_pending_next(True)
    pending = paid_order(paypal_gateway, paypal_fake)

    first = verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.PENDING"))
    paypal_fake.complete_pending(pending.provider_charge_id)
    then = verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.COMPLETED"))

    assert first.kind == EventKind.PENDING
    assert first.provider_charge_id == pending.provider_charge_id
    assert then.kind == EventKind.PAID
    assert then.provider_charge_id == pending.provider_charge_id


def test_capture_denied(paypal_gateway, paypal_fake):
    paypal_fake.capture_pending_next(True)
    pending = paid_order(paypal_gateway, paypal_fake)
    paypal_fake.deny_pending(pending.provider_charge_id)

    notification = verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.DENIED"))

    assert notification.kind == EventKind.FAILED
    assert notification.provider_charge_id == pending.provider_charge_id
    assert notification.reference == "TU-2026-000123"


def test_capture_declined(paypal_gateway, paypal_fake, paid):
    capture = paypal_fake.captures[paid.provider_charge_id]
    body, headers = paypal_fake.signed(
        paypal_fake.event_for("PAYMENT.CAPTURE.DECLINED", {**capture, "status": "DECLINED"})
    )

    notification = paypal_gateway.verify_notification(body=body, headers=headers)

    assert notification.kind == EventKind.FAILED
    assert notification.provider_charge_id == paid.provider_charge_id


def test_refunds_carry_the_capture_and_the_refunded_total(paypal_gateway, paypal_fake, paid):
    paypal_gateway.refund(
        provider_charge_id=paid.provider_charge_id,
        amount=Decimal("30"),
        currency="EUR",
        idempotency_key="refund-1",
    )
    paypal_fake.refund_on_dashboard(paid.provider_charge_id, "20.00")

    ours, dashboard = (
        verify(paypal_gateway, d)
        for d in paypal_fake.deliveries
        if d["event_type"] == "PAYMENT.CAPTURE.REFUNDED"
    )

    assert ours.kind == dashboard.kind == EventKind.REFUNDED
    assert ours.provider_charge_id == dashboard.provider_charge_id == paid.provider_charge_id
    assert (ours.amount, ours.refunded_total) == (Decimal("30.00"), Decimal("30.00"))
    assert (dashboard.amount, dashboard.refunded_total) == (Decimal("20.00"), Decimal("50.00"))
    assert dashboard.currency == "EUR"
    assert dashboard.reference == "TU-2026-000123"


def test_capture_reversed(paypal_gateway, paypal_fake, paid):
    paypal_fake.reverse(paid.provider_charge_id)

    notification = verify(paypal_gateway, sent(paypal_fake, "PAYMENT.CAPTURE.REVERSED"))

    assert notification.kind == EventKind.REFUNDED
    assert notification.provider_charge_id == paid.provider_charge_id
    assert notification.refunded_total == Decimal("100.00")


def test_dispute_created(paypal_gateway, paypal_fake, paid):
    dispute = paypal_fake.dispute(paid.provider_charge_id, "40.00")

    notification = verify(paypal_gateway, sent(paypal_fake, "CUSTOMER.DISPUTE.CREATED"))

    assert notification.kind == EventKind.CHARGEBACK
    assert notification.dispute_id == dispute["dispute_id"]
    assert notification.provider_charge_id == paid.provider_charge_id
    assert (notification.amount, notification.currency) == (Decimal("40.00"), "EUR")


def test_order_voided(paypal_gateway, paypal_fake):
    started = paypal_gateway.start(payment_request())
    paypal_fake.void(started.provider_payment_id)

    notification = verify(paypal_gateway, sent(paypal_fake, "CHECKOUT.ORDER.VOIDED"))

    assert notification.kind == EventKind.EXPIRED
    assert notification.provider_payment_id == started.provider_payment_id


def test_other_events_are_ignored(paypal_gateway, paypal_fake, paid):
    body, headers = paypal_fake.signed(
        paypal_fake.event_for("PAYMENT.PAYOUTSBATCH.SUCCESS", {"batch_header": {}})
    )

    notification = paypal_gateway.verify_notification(body=body, headers=headers)

    assert notification.kind == EventKind.IGNORED
    assert notification.event_type == "PAYMENT.PAYOUTSBATCH.SUCCESS"


def test_webhooks_are_posted_to_the_webhook_url(paypal_gateway, paypal_fake):
    """Delivered over HTTP with PayPal's headers; the receiver can verify what it got."""
    received = []

    def receiver(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {
            key[5:].replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        received.append((environ["wsgi.input"].read(length), headers))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    running = serve({"hooks": receiver})
    try:
        paypal_fake.webhook_url = f"{running.base_url}/hooks/paypal"
        paid_order(paypal_gateway, paypal_fake)
    finally:
        running.stop()

    assert [d["status"] for d in paypal_fake.deliveries] == [200, 200]
    kinds = [paypal_gateway.verify_notification(body=b, headers=h).kind for b, h in received]
    assert kinds == [EventKind.APPROVED, EventKind.PAID]
    assert received[0][1]["USER-AGENT"].startswith("PayPal/")


def test_a_failed_delivery_is_recorded_not_raised(paypal_gateway, paypal_fake):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    paypal_fake.webhook_url = f"http://127.0.0.1:{port}/hooks/paypal"

    paid = paid_order(paypal_gateway, paypal_fake)

    assert paid.provider_charge_id
    assert [d["status"] for d in paypal_fake.deliveries] == [None, None]
    assert all(d["error"] for d in paypal_fake.deliveries)
