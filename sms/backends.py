"""Where an SMS goes: one small interface, the adapters registered in a plain dict.

`settings.SMS_BACKEND` names the adapter: "console" (the log), "database" (the Message rows
are the inbox, read at sms:inbox) or "http" (a gateway taking JSON with a bearer token).
Backends are called outside any database transaction and never raise for a delivery
problem: they answer a `SendResult` that says whether to retry.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import unicodedata
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings

from resellers.branding import reseller_display_name
from resellers.models import Reseller
from sms.models import Message

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """outcome: "sent", "transient" (try again later) or "permanent" (give up)."""

    outcome: str
    provider_message_id: str = ""
    error: str = ""

    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


class SmsBackend(Protocol):
    name: str

    def send(self, message: Message) -> SendResult: ...


def sender_name_for(reseller: Reseller) -> str:
    """The alphanumeric sender shown on the phone: the name the reseller shows its customers
    (the branding's display name, else its name), letters and digits only, at most 11
    characters (the GSM limit); the operator's SMS_SENDER_NAME if nothing is left."""
    return _sender_name(reseller_display_name(reseller=reseller))


def message_sender_name(message: Message) -> str:
    """sender_name_for the message's reseller, from the names read with the message when
    sms.services.message_for_delivery loaded it (no query), else looked up."""
    name = getattr(message, "sender_reseller_name", None)
    if name is None:
        return sender_name_for(message.reseller)
    return _sender_name(getattr(message, "sender_display_name", None) or name)


def _sender_name(display_name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    name = "".join(ch for ch in ascii_name if ch.isalnum())[:11]
    return name or settings.SMS_SENDER_NAME


class ConsoleBackend:
    name = "console"

    def send(self, message: Message) -> SendResult:
        # The log is the delivery here (development): it shows the text as sent.
        logger.info("SMS #%s to %s: %s", message.pk, message.recipient, message.text_to_send())
        return SendResult(SendResult.SENT, provider_message_id=f"console-{message.pk}")


class DatabaseBackend:
    """The row itself is the delivered message: marking it sent puts it in the inbox.

    Sent, a message's secret is masked like every other backend's (the inbox shows the mask,
    to operator staff only). While DEBUG is on (`make run`) the text as sent is also logged,
    as the console backend does, so a developer can sign in as a customer just registered."""

    name = "database"

    def send(self, message: Message) -> SendResult:
        if settings.DEBUG and message.masked:
            logger.info("SMS #%s to %s: %s", message.pk, message.recipient, message.text_to_send())
        return SendResult(SendResult.SENT, provider_message_id=f"inbox-{message.pk}")


class HttpGatewayBackend:
    """POST {to, from, text, reference} as JSON with `Authorization: Bearer <token>`.

    2xx → sent (the answer's "id" or "message_id" is kept); 5xx, 429, timeouts and connection
    errors → transient; any other answer → permanent. The reference is the message's UUID
    (`Message.reference`), the same on every try: a gateway that has accepted it once drops
    the repeat and answers as it did the first time (README "SMS gateway contract").

    Each worker thread keeps its connection to the gateway open between messages (HTTP/1.1
    keep-alive): no new TCP (and TLS) connection per SMS. A connection the gateway closed
    while idle is opened again once, for the same message."""

    name = "http"

    def send(self, message: Message) -> SendResult:
        payload = {
            "to": message.recipient,
            "from": message_sender_name(message),
            "text": message.text_to_send(),
            "reference": str(message.reference),
        }
        url = urlsplit(settings.SMS_HTTP_URL)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
        }
        body = json.dumps(payload).encode()
        for attempt in (1, 2):
            connection = _gateway_connection(url)
            reused = connection.sock is not None
            try:
                connection.request("POST", path, body=body, headers=headers)
                answer = connection.getresponse()
                raw = answer.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                _gateway_drop()
                if reused and attempt == 1:
                    continue  # closed while idle: once more on a new connection
                return SendResult(SendResult.TRANSIENT, error=f"{type(exc).__name__}: {exc}")
            except (OSError, http.client.HTTPException) as exc:  # timeouts, refused, garbage
                _gateway_drop()
                return SendResult(SendResult.TRANSIENT, error=f"{type(exc).__name__}: {exc}")
            if answer.will_close:
                _gateway_drop()
            if 200 <= answer.status < 300:
                return SendResult(SendResult.SENT, provider_message_id=_provider_id(raw))
            detail = f"HTTP {answer.status}: {_short(raw)}"
            if answer.status >= 500 or answer.status == 429:
                return SendResult(SendResult.TRANSIENT, error=detail)
            return SendResult(SendResult.PERMANENT, error=detail)
        raise AssertionError("unreachable")


_gateway = threading.local()


def _gateway_connection(url) -> http.client.HTTPConnection:
    """This thread's open connection to the gateway, or a new one (also after the gateway
    setting changed)."""
    timeout = settings.SMS_HTTP_TIMEOUT
    key = (url.scheme, url.hostname, url.port, timeout)
    connection = getattr(_gateway, "connection", None)
    if connection is not None and _gateway.key == key:
        return connection
    _gateway_drop()
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    _gateway.connection, _gateway.key = kind(url.hostname, url.port, timeout=timeout), key
    return _gateway.connection


def _gateway_drop() -> None:
    connection = getattr(_gateway, "connection", None)
    if connection is not None:
        connection.close()
    _gateway.connection = None


def _short(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")[:200]


def _provider_id(raw: bytes) -> str:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("message_id") or "")[:100]


BACKENDS: dict[str, type[SmsBackend]] = {
    "console": ConsoleBackend,
    "database": DatabaseBackend,
    "http": HttpGatewayBackend,
}


def backend_get(name: str | None = None) -> SmsBackend:
    name = name or settings.SMS_BACKEND
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(
            f"SMS_BACKEND={name!r} is not one of {', '.join(sorted(BACKENDS))}"
        ) from None
