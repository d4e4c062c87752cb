"""Where an SMS goes: one small interface, the adapters registered in a plain dict.

`settings.SMS_BACKEND` names the adapter: "console" (the log), "database" (the Message rows
are the inbox, read at sms:inbox) or "http" (a gateway taking JSON with a bearer token).
Backends are called outside any database transaction and never raise for a delivery
problem: they answer a `SendResult` that says whether to retry.
"""

from __future__ import annotations

import json
import logging
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from resellers.models import Reseller
from resellers.selectors import reseller_display_name
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
    display_name = reseller_display_name(reseller=reseller)
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    name = "".join(ch for ch in ascii_name if ch.isalnum())[:11]
    return name or settings.SMS_SENDER_NAME


class ConsoleBackend:
    name = "console"

    def send(self, message: Message) -> SendResult:
        logger.info("SMS #%s to %s: %s", message.pk, message.recipient, message.body)
        return SendResult(SendResult.SENT, provider_message_id=f"console-{message.pk}")


class DatabaseBackend:
    """The row itself is the delivered message: marking it sent puts it in the inbox."""

    name = "database"

    def send(self, message: Message) -> SendResult:
        return SendResult(SendResult.SENT, provider_message_id=f"inbox-{message.pk}")


class HttpGatewayBackend:
    """POST {to, from, text, reference} as JSON with `Authorization: Bearer <token>`.

    2xx → sent (the answer's "id" or "message_id" is kept); 5xx, timeouts and connection
    errors → transient; any other answer → permanent. The reference is the message id, so a
    gateway can recognise a message it has seen."""

    name = "http"

    def send(self, message: Message) -> SendResult:
        payload = {
            "to": message.recipient,
            "from": sender_name_for(message.reseller),
            "text": message.body,
            "reference": str(message.pk),
        }
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            settings.SMS_HTTP_URL,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.SMS_HTTP_TIMEOUT
            ) as answer:
                return SendResult(SendResult.SENT, provider_message_id=_provider_id(answer.read()))
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code}: {_short(exc.read())}"
            if exc.code >= 500 or exc.code == 429:
                return SendResult(SendResult.TRANSIENT, error=detail)
            return SendResult(SendResult.PERMANENT, error=detail)
        except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
            return SendResult(SendResult.TRANSIENT, error=f"{type(exc).__name__}: {exc}")


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
