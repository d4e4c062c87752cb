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
    message_sender_name,
    sender_name_for,
)
from sms.delivery import message_for_delivery
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


@pytest.mark.parametrize(
    ("display_name", "sender"),
    [("Späti-Phone", "SpatiPhone"), ("", "AlphaTeleco"), (None, "AlphaTeleco")],
)
def test_a_message_loaded_for_delivery_knows_its_sender_without_a_query(
    display_name, sender, django_assert_num_queries
):
    """The names come with the message (one query); None: the reseller has no branding."""
    reseller = ResellerFactory(name="Alpha Telecom")
    if display_name is not None:
        Branding.objects.create(reseller=reseller, display_name=display_name)
    message = MessageFactory(reseller=reseller)
    with django_assert_num_queries(1):
        loaded = message_for_delivery(message_id=message.pk)
    with django_assert_num_queries(0):
        assert message_sender_name(loaded) == sender
    assert (loaded.pk, loaded.recipient, loaded.body) == (
        message.pk,
        message.recipient,
        message.body,
    )
    assert message_sender_name(message) == sender  # a message loaded otherwise: looked up


def test_http_backend_posts_json_with_bearer_token(gateway):
    message = MessageFactory(customer__reseller__name="Kiosk Nord", body="Hi")
    result = HttpGatewayBackend().send(message)
    assert result.outcome == "sent"
    assert result.provider_message_id.startswith(f"gw-{message.reference}-")
    [received] = gateway.requests
    assert received.authorization == "Bearer test-token"
    assert received.payload == {
        "to": message.recipient,
        "from": "KioskNord",
        "text": "Hi",
        "reference": str(message.reference),
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


def test_http_backend_keeps_its_connection_open_between_messages(gateway):
    results = [HttpGatewayBackend().send(MessageFactory()) for _ in range(3)]
    assert [r.outcome for r in results] == ["sent"] * 3
    assert len(gateway.accepted()) == 3
    assert gateway.connections() == 1


def test_a_connection_the_gateway_dropped_is_opened_again_once(gateway):
    """The gateway closes each connection after its answer without saying so: the next
    message fails on the old connection, goes again on a new one, and is delivered once."""
    gateway.drop_connections = True
    first, second = (MessageFactory() for _ in range(2))
    assert HttpGatewayBackend().send(first).outcome == "sent"
    assert HttpGatewayBackend().send(second).outcome == "sent"
    assert gateway.accepted_per_reference() == {str(first.reference): 1, str(second.reference): 1}
    assert gateway.connections() == 2
