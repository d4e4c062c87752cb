import logging
import socket

import pytest

from resellers.models import Branding
from sms.backends import (
    BACKENDS,
    ConsoleBackend,
    DatabaseBackend,
    HttpGatewayBackend,
    SendResult,
    backend_get,
    sender_name_for,
)
from tests.factories import ResellerFactory
from tests.sms.factories import MessageFactory

pytestmark = pytest.mark.django_db


def test_registry_names_the_three_backends(settings):
    assert set(BACKENDS) == {"console", "database", "http"}
    settings.SMS_BACKEND = "console"
    assert isinstance(backend_get(), ConsoleBackend)
    assert isinstance(backend_get("http"), HttpGatewayBackend)
    with pytest.raises(ValueError, match="SMS_BACKEND='carrier-pigeon'"):
        backend_get("carrier-pigeon")


def test_console_backend_logs_the_text(caplog):
    message = MessageFactory(body="Hello there")
    with caplog.at_level(logging.INFO, logger="sms.backends"):
        result = ConsoleBackend().send(message)
    assert result == SendResult("sent", provider_message_id=f"console-{message.pk}")
    assert "Hello there" in caplog.text
    assert message.recipient in caplog.text


def test_database_backend_accepts_the_message():
    message = MessageFactory()
    assert DatabaseBackend().send(message) == SendResult(
        "sent", provider_message_id=f"inbox-{message.pk}"
    )


@pytest.mark.parametrize(
    ("name", "sender"),
    [
        ("Kiosk Nord", "KioskNord"),
        ("Mayer & Söhne Telekom GmbH", "MayerSohneT"),
        ("Łódź-Shop 24", "odzShop24"),
        ("***", "Tessera"),
    ],
)
def test_sender_name_is_alphanumeric_and_at_most_11(name, sender, settings):
    settings.SMS_SENDER_NAME = "Tessera"
    assert sender_name_for(ResellerFactory(name=name)) == sender


@pytest.mark.parametrize(
    ("display_name", "sender"),
    [
        ("Späti-Phone", "SpatiPhone"),
        ("Kiosk am Hauptbahnhof Nord", "KioskamHaup"),
        ("", "AlphaTeleco"),  # no display name: the company name
        ("+++", "Tessera"),  # nothing alphanumeric left: the operator's sender
    ],
)
def test_sender_name_is_the_branding_display_name(display_name, sender, settings):
    settings.SMS_SENDER_NAME = "Tessera"
    reseller = ResellerFactory(name="Alpha Telecom")
    Branding.objects.create(reseller=reseller, display_name=display_name)
    assert sender_name_for(reseller) == sender


def test_http_backend_posts_json_with_bearer_token(gateway):
    message = MessageFactory(customer__reseller__name="Kiosk Nord", body="Hi")
    result = HttpGatewayBackend().send(message)
    assert result.outcome == "sent"
    assert result.provider_message_id.startswith(f"gw-{message.pk}-")
    [received] = gateway.requests
    assert received.authorization == "Bearer test-token"
    assert received.payload == {
        "to": message.recipient,
        "from": "KioskNord",
        "text": "Hi",
        "reference": str(message.pk),
    }


def test_http_backend_sends_from_the_branding_display_name(gateway):
    message = MessageFactory(customer__reseller__name="Kiosk Nord", body="Hi")
    Branding.objects.create(reseller=message.reseller, display_name="Späti 24")
    assert HttpGatewayBackend().send(message).outcome == "sent"
    [received] = gateway.requests
    assert received.payload["from"] == "Spati24"


@pytest.mark.parametrize(("mode", "outcome", "error"), [("down", "transient", "HTTP 503")])
def test_http_5xx_is_transient(gateway, mode, outcome, error):
    gateway.mode = mode
    result = HttpGatewayBackend().send(MessageFactory())
    assert result.outcome == outcome
    assert result.error.startswith(error)
    assert "temporarily unavailable" in result.error


def test_http_4xx_is_permanent(gateway):
    gateway.mode = "reject"
    result = HttpGatewayBackend().send(MessageFactory())
    assert result.outcome == "permanent"
    assert result.error.startswith("HTTP 400")


def test_http_wrong_token_is_permanent(gateway, settings):
    settings.SMS_HTTP_TOKEN = "wrong"
    result = HttpGatewayBackend().send(MessageFactory())
    assert result.outcome == "permanent"
    assert result.error.startswith("HTTP 401")


def test_http_timeout_is_transient(gateway, settings):
    gateway.mode, gateway.delay = "slow", 1.0
    settings.SMS_HTTP_TIMEOUT = 0.2
    result = HttpGatewayBackend().send(MessageFactory())
    assert result.outcome == "transient"
    assert "timed out" in result.error


def test_http_connection_refused_is_transient(settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{port}/messages"
    result = HttpGatewayBackend().send(MessageFactory())
    assert result.outcome == "transient"
    assert "refused" in result.error.lower()
