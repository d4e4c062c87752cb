"""Stripe webhooks: the fake signs them as Stripe does, the gateway verifies them with
`stripe.Webhook.construct_event` on the raw body and says what each one means.

Events come from the fake's own flows (pay, delayed payment, expiry, dashboard refund,
dispute), delivered over HTTP to a sink, so the bytes verified are the bytes Stripe's scheme
signed on the wire.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import stripe

from payments.fakes.stripe import FakeStripe
from payments.fakes.stripe_wire import decode_form, sign
from payments.gateways.base import EventKind, NotificationRejected, PaymentRequest


def _start(world, reference: str = "TU-0001") -> str:
    result = world.gateway.start(
        PaymentRequest(
            reference=reference,
            amount=Decimal("119.00"),
            currency="EUR",
            description="Tessera credit",
            success_url="https://portal.test/done?session={CHECKOUT_SESSION_ID}",
            cancel_url="https://portal.test/cancelled",
            idempotency_key=f"start-{reference}",
        )
    )
    return result.provider_payment_id


def _received(world, index: int = -1):
    """What the webhook endpoint was sent (index-th post), verified by the gateway."""
    body, headers = world.sink.received[index]
    return world.gateway.verify_notification(body=body, headers=headers)


def test_a_paid_checkout_is_delivered_signed_and_reads_paid(stripe_world):
    session_id = _start(stripe_world)
    stripe_world.fake.pay(session_id)

    note = _received(stripe_world)

    assert note.provider == "stripe"
    assert note.event_type == "checkout.session.completed"
    assert note.kind == EventKind.PAID
    assert note.event_id == stripe_world.fake.events[-1]["id"]
    assert note.provider_payment_id == session_id
    assert note.provider_charge_id == stripe_world.fake.sessions[session_id]["payment_intent"]
    assert note.reference == "TU-0001"
    assert (note.amount, note.currency) == (Decimal("119.00"), "EUR")
    assert json.loads(json.dumps(note.raw))["data"]["object"]["id"] == session_id
    assert stripe_world.fake.deliveries[-1].ok
    _, headers = stripe_world.sink.received[-1]
    assert headers["Stripe-Signature"].startswith("t=")
    assert ",v1=" in headers["Stripe-Signature"]


def test_a_delayed_payment_reads_pending_then_paid(stripe_world):
    session_id = _start(stripe_world)
    stripe_world.fake.pay_async(session_id)
    pending = _received(stripe_world)
    stripe_world.fake.complete_async(session_id)
    paid = _received(stripe_world)

    assert (pending.event_type, pending.kind) == ("checkout.session.completed", "pending")
    assert pending.provider_charge_id.startswith("pi_")
    assert (paid.event_type, paid.kind) == ("checkout.session.async_payment_succeeded", "paid")
    assert (paid.amount, paid.currency, paid.reference) == (Decimal("119.00"), "EUR", "TU-0001")
    assert paid.provider_charge_id == pending.provider_charge_id


def test_a_failed_delayed_payment_reads_failed(stripe_world):
    session_id = _start(stripe_world)
    stripe_world.fake.pay_async(session_id)
    stripe_world.fake.complete_async(session_id, succeed=False)

    note = _received(stripe_world)

    assert (note.event_type, note.kind) == ("checkout.session.async_payment_failed", "failed")
    assert note.provider_payment_id == session_id


def test_an_expired_session_reads_expired(stripe_world):
    session_id = _start(stripe_world)
    stripe_world.fake.expire(session_id)

    note = _received(stripe_world)

    assert (note.event_type, note.kind) == ("checkout.session.expired", "expired")
    assert (note.provider_payment_id, note.provider_charge_id) == (session_id, "")
    assert note.reference == "TU-0001"


def test_refunds_read_refunded_with_the_cumulative_total(stripe_world):
    fake = stripe_world.fake
    session_id = _start(stripe_world)
    intent = fake.pay(session_id)["payment_intent"]

    fake.refund_on_dashboard(intent, 3000)
    first = _received(stripe_world)
    stripe_world.gateway.refund(
        provider_charge_id=intent, amount=Decimal("89.00"), currency="EUR", idempotency_key="r"
    )
    second = _received(stripe_world)

    assert (first.event_type, first.kind) == ("charge.refunded", EventKind.REFUNDED)
    assert first.provider_charge_id == intent
    assert first.refunded_total == Decimal("30.00")
    assert first.currency == "EUR"
    assert first.reference == "TU-0001"  # the intent's metadata, copied onto the charge
    assert second.refunded_total == Decimal("119.00")


def test_a_dispute_reads_chargeback_with_its_amount(stripe_world):
    fake = stripe_world.fake
    intent = fake.pay(_start(stripe_world))["payment_intent"]

    dispute = fake.dispute(intent, 11900)
    note = _received(stripe_world)

    assert (note.event_type, note.kind) == ("charge.dispute.created", EventKind.CHARGEBACK)
    assert note.provider_charge_id == intent
    assert (note.amount, note.currency) == (Decimal("119.00"), "EUR")
    assert note.dispute_id == dispute["id"]


def test_other_verified_events_are_ignored(stripe_world):
    fake = stripe_world.fake
    event = fake.event_for("customer.created", {"id": "cus_1", "object": "customer"})
    body, headers = fake.signed(event)

    note = stripe_world.gateway.verify_notification(body=body, headers=headers)

    assert note.kind == EventKind.IGNORED
    assert (note.event_id, note.event_type) == (event["id"], "customer.created")


def test_headers_are_read_in_any_case(stripe_world):
    fake = stripe_world.fake
    body, headers = fake.signed(fake.event_for("customer.created", {"id": "cus_1"}))

    for name in ("stripe-signature", "STRIPE-SIGNATURE"):
        sent = {name: headers["Stripe-Signature"]}
        assert stripe_world.gateway.verify_notification(body=body, headers=sent).kind == "ignored"


# --- what does not verify ---------------------------------------------------------------------


def _paid_event(world) -> dict:
    world.fake.pay(_start(world))
    return world.fake.events[-1]


def _rejected(world, body: bytes, headers: dict) -> NotificationRejected:
    with pytest.raises(NotificationRejected) as rejected:
        world.gateway.verify_notification(body=body, headers=headers)
    return rejected.value


def test_a_forged_signature_is_rejected(stripe_world):
    body, headers = stripe_world.fake.signed(_paid_event(stripe_world))
    timestamp = headers["Stripe-Signature"].split(",")[0]
    forged = {"Stripe-Signature": f"{timestamp},v1={'0' * 64}"}

    assert _rejected(stripe_world, body, forged).reason == NotificationRejected.BAD_SIGNATURE


def test_a_signature_made_with_another_secret_is_rejected(stripe_world):
    body, headers = stripe_world.fake.signed(_paid_event(stripe_world), secret="whsec_attacker")

    assert _rejected(stripe_world, body, headers).reason == NotificationRejected.BAD_SIGNATURE


def test_a_tampered_body_is_rejected(stripe_world):
    event = _paid_event(stripe_world)
    body, headers = stripe_world.fake.signed(event)
    tampered = body.replace(b'"amount_total": 11900', b'"amount_total": 99900')
    assert tampered != body

    assert _rejected(stripe_world, tampered, headers).reason == NotificationRejected.BAD_SIGNATURE


def test_a_stale_signature_is_rejected(stripe_world):
    stale = int(time.time()) - 301 - 60
    body, headers = stripe_world.fake.signed(_paid_event(stripe_world), timestamp=stale)

    assert _rejected(stripe_world, body, headers).reason == NotificationRejected.BAD_SIGNATURE


def test_a_missing_or_unreadable_signature_header_is_rejected(stripe_world):
    body, _ = stripe_world.fake.signed(_paid_event(stripe_world))

    for headers in ({}, {"Stripe-Signature": ""}, {"Stripe-Signature": "garbage"}):
        assert _rejected(stripe_world, body, headers).reason == "bad_signature"


def test_a_signed_body_that_is_not_an_event_is_malformed(stripe_world):
    for body in (b"{not json", b"[1, 2]", b'{"object": "event", "id": "evt_1"}', b"\xff"):
        headers = {"Stripe-Signature": sign(body, stripe_world.fake.webhook_secret)}
        assert _rejected(stripe_world, body, headers).reason == NotificationRejected.MALFORMED


# --- the fake's delivery and wire format -------------------------------------------------------


def test_a_failed_delivery_is_recorded_and_the_payment_still_happens(stripe_world):
    stripe_world.sink.status = "500 Internal Server Error"
    session_id = _start(stripe_world)
    stripe_world.fake.pay(session_id)
    stripe_world.fake.webhook_url = "http://127.0.0.1:9/nobody-listens"
    stripe_world.fake.expire(_start(stripe_world, "TU-0002"))

    refused, unreachable = stripe_world.fake.deliveries

    assert (refused.status, refused.ok) == (500, False)
    assert (unreachable.status, unreachable.ok) == (None, False)
    assert unreachable.error
    assert stripe_world.fake.sessions[session_id]["payment_status"] == "paid"


def test_an_event_redelivered_verifies_again_with_the_same_id(stripe_world):
    event = _paid_event(stripe_world)

    stripe_world.fake.deliver(event)
    first, again = _received(stripe_world, 0), _received(stripe_world, 1)

    assert first.event_id == again.event_id == event["id"]


def test_the_fake_decodes_stripes_form_encoding():
    pairs = [
        ("mode", "payment"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][unit_amount]", "11900"),
        ("line_items[1][quantity]", "2"),
        ("metadata[topup_reference]", "TU-1"),
        ("expand[0]", "payment_intent"),
    ]

    assert decode_form(pairs) == {
        "mode": "payment",
        "line_items": [
            {"quantity": "1", "price_data": {"unit_amount": "11900"}},
            {"quantity": "2"},
        ],
        "metadata": {"topup_reference": "TU-1"},
        "expand": ["payment_intent"],
    }


def test_the_fake_refuses_a_wrong_key_and_unknown_parameters(stripe_world):
    wrong = stripe.StripeClient(
        "sk_test_wrong", base_addresses={"api": stripe_world.api_base}, max_network_retries=0
    )
    right = stripe.StripeClient(
        FakeStripe().secret_key,
        base_addresses={"api": stripe_world.api_base},
        max_network_retries=0,
    )
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.checkout.sessions.retrieve("cs_test_x")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        right.v1.checkout.sessions.create({"mode": "payment", "bogus": "1"})  # type: ignore[typeddict-unknown-key]

    assert unknown.value.param == "bogus"
