"""PayPal IPN: reading a message in the charset it names, and the postback that is its only
proof, against a loopback fake that answers VERIFIED only for a body it sent, unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.fakes.paypal_ipn import VALIDATE_PREFIX, FakePayPalIpn
from payments.fakes.server import serve
from payments.gateways.base import GatewayError
from payments.gateways.paypal_ipn import (
    IPN_ENDPOINTS,
    IpnMalformed,
    IpnVerdict,
    ipn_parse,
    ipn_verify,
    ipn_verify_url,
)

FIELDS = {
    "txn_type": "web_accept",
    "txn_id": "61E67681CH3238416",
    "payment_status": "Completed",
    "receiver_email": "Shop@Kiosk-Nord.example",
    "receiver_id": "S8XGHLYDW9T3S",
    "mc_gross": "20.00",
    "mc_currency": "EUR",
    "custom": "customer:17",
    "invoice": "ORDER-2026-0042",
    "first_name": "Jürgen",
    "last_name": "Müller",
}


@pytest.fixture(scope="module")
def ipn_fake():
    fake = FakePayPalIpn()
    running = serve({"paypal-ipn": fake})
    fake.url = f"{running.base_url}/paypal-ipn/cgi-bin/webscr"
    yield fake
    running.stop()


def test_a_message_is_read_in_the_charset_it_names():
    body = FakePayPalIpn().message(**FIELDS)
    assert b"M%FCller" in body  # windows-1252, as PayPal sends by default
    message = ipn_parse(body)
    assert message.raw == body
    assert message.get("last_name") == "Müller" and message.get("first_name") == "Jürgen"
    assert message.txn_id == "61E67681CH3238416" and message.payment_status == "Completed"
    assert message.receiver_email == "shop@kiosk-nord.example"
    assert message.receiver_id == "S8XGHLYDW9T3S"
    assert (message.gross, message.currency) == (Decimal("20.00"), "EUR")
    assert (message.custom, message.invoice) == ("customer:17", "ORDER-2026-0042")


def test_utf8_messages_and_refunds_read_too():
    body = FakePayPalIpn().message(
        charset="UTF-8",
        txn_id="9XR12345",
        parent_txn_id="61E67681CH3238416",
        payment_status="Refunded",
        mc_gross="-20.00",
        mc_currency="eur",
        last_name="Łukasiewicz",
    )
    message = ipn_parse(body)
    assert message.get("last_name") == "Łukasiewicz"
    assert message.parent_txn_id == "61E67681CH3238416"
    assert (message.gross, message.currency) == (Decimal("-20.00"), "EUR")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"x" * (64 * 1024 + 1),
        b"charset=no-such-charset&txn_id=1",
        b"payment_status=Completed&mc_gross=1.00",  # neither txn_id nor txn_type
    ],
    ids=["empty", "too-large", "unknown-charset", "no-ids"],
)
def test_what_is_not_an_ipn_is_refused(body):
    with pytest.raises(IpnMalformed):
        ipn_parse(body)


def test_an_amount_that_is_no_number_reads_as_none():
    assert ipn_parse(b"txn_id=1&mc_gross=NaN").gross is None
    assert ipn_parse(b"txn_id=1&mc_gross=abc").gross is None


def test_the_postback_is_the_body_unchanged_after_the_validate_command(ipn_fake):
    body = ipn_fake.message(**FIELDS)
    assert ipn_verify(ipn_parse(body), url=ipn_fake.url) == IpnVerdict.VERIFIED
    assert ipn_fake.postbacks[-1] == VALIDATE_PREFIX + body


def test_a_forged_or_altered_message_is_invalid(ipn_fake):
    body = ipn_fake.message(**FIELDS)
    altered = body.replace(b"mc_gross=20.00", b"mc_gross=200.00")
    assert altered != body
    assert ipn_verify(ipn_parse(altered), url=ipn_fake.url) == IpnVerdict.INVALID
    forged = FakePayPalIpn().message(**{**FIELDS, "txn_id": "FORGED1"})  # never sent by it
    assert ipn_verify(ipn_parse(forged), url=ipn_fake.url) == IpnVerdict.INVALID


def test_no_answer_is_a_transient_error_never_a_verdict(ipn_fake):
    body = ipn_fake.message(**FIELDS)
    ipn_fake.outage = 1
    with pytest.raises(GatewayError) as caught:
        ipn_verify(ipn_parse(body), url=ipn_fake.url)
    assert caught.value.transient
    assert ipn_verify(ipn_parse(body), url=ipn_fake.url) == IpnVerdict.VERIFIED
    with pytest.raises(GatewayError):
        ipn_verify(ipn_parse(body), url="http://127.0.0.1:9/cgi-bin/webscr", timeout=2)


def test_the_endpoint_follows_the_environment(settings):
    settings.PAYPAL_IPN_VERIFY_URL = ""
    settings.PAYPAL_ENVIRONMENT = "live"
    assert ipn_verify_url() == IPN_ENDPOINTS["live"]
    settings.PAYPAL_ENVIRONMENT = "sandbox"
    assert ipn_verify_url() == IPN_ENDPOINTS["sandbox"]
    settings.PAYPAL_IPN_VERIFY_URL = "http://127.0.0.1:8001/paypal-ipn/cgi-bin/webscr"
    assert ipn_verify_url() == "http://127.0.0.1:8001/paypal-ipn/cgi-bin/webscr"
