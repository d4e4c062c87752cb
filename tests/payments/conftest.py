"""Fixtures for the payment gateways: the providers' loopback fakes on a real port, an adapter
pointed at them, and a webhook receiver that keeps what it was sent.

Nothing here touches the database: the adapters are pure and the fakes keep their state in
memory, so these tests run the real SDKs over real HTTP without any model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from payments.fakes.paypal import FakePayPal
from payments.fakes.server import RunningFakes, serve
from payments.fakes.stripe import FakeStripe
from payments.gateways.paypal import PayPalGateway
from payments.gateways.stripe import StripeGateway


@dataclass
class WebhookSink:
    """A WSGI app standing in for our webhook view: it records each post's raw body and
    headers (as sent, names restored from the WSGI environ) and answers `status`."""

    status: str = "200 OK"
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        with self._lock:
            self.received.append((body, headers))
        start_response(self.status, [("Content-Type", "text/plain")])
        return [b"ok"]


class _Slot:
    """A WSGI app passing each request to whatever app it holds now: one server for the whole
    run (stopping one costs half a second), a fresh fake for every test."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class StripeWorld:
    fake: FakeStripe
    server: RunningFakes
    sink: WebhookSink
    gateway: StripeGateway

    @property
    def api_base(self) -> str:
        return f"{self.server.base_url}/stripe"


@pytest.fixture(scope="session")
def _payment_fakes_server():
    slots = {"stripe": _Slot(), "hooks": _Slot()}
    server = serve(slots)
    yield server, slots
    server.stop()


@pytest.fixture
def stripe_world(_payment_fakes_server):
    """A fresh FakeStripe and webhook sink on the loopback server, and a StripeGateway pointed
    at the fake (its API base, secret key and webhook secret), with no network retries so a
    failure shows at once."""
    server, slots = _payment_fakes_server
    fake = FakeStripe()
    sink = WebhookSink()
    slots["stripe"].app, slots["hooks"].app = fake, sink
    fake.webhook_url = f"{server.base_url}/hooks/stripe"
    gateway = StripeGateway(
        api_key=fake.secret_key,
        api_base=f"{server.base_url}/stripe",
        webhook_secret=fake.webhook_secret,
        timeout=5.0,
        max_network_retries=0,
    )
    return StripeWorld(fake=fake, server=server, sink=sink, gateway=gateway)


@pytest.fixture
def stripe_fake(stripe_world) -> FakeStripe:
    return stripe_world.fake


@pytest.fixture
def stripe_gateway(stripe_world) -> StripeGateway:
    return stripe_world.gateway


@pytest.fixture
def stripe_portal(stripe_world, settings):
    """The portal's settings pointed at the fake Stripe: the registry's adapter talks to it,
    and its webhooks land in `stripe_world.sink` (tests forward them to our view)."""
    settings.STRIPE_SECRET_KEY = stripe_world.fake.secret_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_world.fake.webhook_secret
    settings.STRIPE_API_BASE = stripe_world.api_base
    return stripe_world


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


@pytest.fixture
def paypal_portal(paypal_fake, settings):
    """The portal's settings pointed at the fake PayPal; its webhooks are kept in
    `paypal_fake.deliveries` (tests forward them to our view with `forward_paypal`)."""
    settings.PAYPAL_CLIENT_ID = paypal_fake.client_id
    settings.PAYPAL_CLIENT_SECRET = paypal_fake.client_secret
    settings.PAYPAL_WEBHOOK_ID = paypal_fake.webhook_id
    settings.PAYPAL_API_BASE = paypal_fake.base_url
    return paypal_fake
