"""Fixtures for the payment gateways: each provider's loopback fake, served over real HTTP."""

from __future__ import annotations

import pytest

from payments.fakes.paypal import FakePayPal
from payments.fakes.server import serve
from payments.gateways.paypal import PayPalGateway


@pytest.fixture(scope="module")
def _paypal_server():
    """One loopback server per module (stopping one costs half a second) serving whichever
    fake PayPal the current test made."""
    current: dict[str, FakePayPal] = {}

    def app(environ, start_response):
        return current["fake"](environ, start_response)

    running = serve({"paypal": app})
    yield running, current
    running.stop()


@pytest.fixture
def paypal_fake(_paypal_server):
    """A fresh fake PayPal on a loopback port, at `paypal_fake.base_url` (".../paypal")."""
    running, current = _paypal_server
    fake = FakePayPal(base_url=f"{running.base_url}/paypal")
    current["fake"] = fake
    return fake


@pytest.fixture
def paypal_gateway(paypal_fake):
    """The real adapter (and so the real paypal-server-sdk) pointed at the fake."""
    return PayPalGateway(
        client_id=paypal_fake.client_id,
        client_secret=paypal_fake.client_secret,
        webhook_id=paypal_fake.webhook_id,
        environment="sandbox",
        api_base=paypal_fake.base_url,
        timeout=10,
    )
