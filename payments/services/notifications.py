"""Provider notifications (webhooks): verify, then act on what they say.

`notification_receive` is all a webhook view calls. The adapter verifies the signature on the
raw body (Stripe: construct_event with the endpoint secret; PayPal: its
verify-webhook-signature call); a notification that fails is kept, with what was received,
for staff to see, and credits nothing. A verified one is looked up by our reference or the
provider's ids, and settles the top-up through `topup_settle` (the one fulfilment) or reverses
money through the refund services; one about a customer's own card payment goes to
`customer_card_notification` instead. Every verified event id is stored once: a replay is
answered 200 and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from core.queue import enqueue_on_commit
from payments.gateways.base import (
    EventKind,
    GatewayError,
    Notification,
    NotificationRejected,
    PaymentStatus,
)
from payments.gateways.registry import gateway
from payments.models import PaymentEvent, TopUp
from payments.services.customer_card import customer_card_match, customer_card_notification
from payments.services.refunds import chargeback_receive, refund_from_provider
from payments.services.topups import Settlement, event_seen, topup_settle, topup_unknown_event

logger = logging.getLogger(__name__)

# Headers kept with a rejected notification: enough to see what was claimed, no cookies.
_KEPT_HEADERS = (
    "stripe-signature",
    "paypal-transmission-id",
    "paypal-transmission-time",
    "paypal-cert-url",
    "paypal-auth-algo",
    "content-type",
    "user-agent",
)
_KEPT_BODY = 4000

_STATUS = {
    EventKind.PAID: PaymentStatus.PAID,
    EventKind.PENDING: PaymentStatus.PENDING,
    EventKind.FAILED: PaymentStatus.FAILED,
    EventKind.EXPIRED: PaymentStatus.EXPIRED,
    EventKind.APPROVED: PaymentStatus.APPROVED,
}


@dataclass(frozen=True)
class Received:
    """The webhook's answer: `status` is the HTTP status to send back."""

    status: int
    outcome: str  # "applied", "duplicate", "rejected", "unknown", "ignored", "retry"


def notification_receive(*, provider: str, body: bytes, headers: Mapping[str, str]) -> Received:
    adapter = gateway(provider)
    try:
        note = adapter.verify_notification(body=body, headers=headers)
    except NotificationRejected as exc:
        _rejected(provider=provider, body=body, headers=headers, exc=exc)
        return Received(400, "rejected")
    except GatewayError:
        # The provider's verification service did not answer: ask it to send again.
        return Received(503, "retry")
    return notification_apply(provider=provider, note=note)


def _rejected(*, provider: str, body: bytes, headers, exc: NotificationRejected) -> None:
    """Keep what failed verification for staff; past PAYMENTS_REJECTED_KEEP_PER_MINUTE rows a
    minute per provider (a flood of forgeries), only the log counts them."""
    minute = int(time.time() // 60)
    key = f"payments:rejected:{provider}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        seen = cache.incr(key)
    except ValueError:  # evicted between add and incr
        seen = 1
    if seen > settings.PAYMENTS_REJECTED_KEEP_PER_MINUTE:
        logger.warning("%s notification rejected (%s), not kept: over the limit", provider, exc)
        return
    lowered = {key.lower(): value for key, value in headers.items()}
    with transaction.atomic(durable=True):
        PaymentEvent.objects.create(
            topup=None,
            provider=provider,
            source=PaymentEvent.Source.WEBHOOK,
            verified=False,
            outcome=PaymentEvent.Outcome.REJECTED,
            failed_check=(
                PaymentEvent.Check.BAD_SIGNATURE
                if exc.reason == NotificationRejected.BAD_SIGNATURE
                else PaymentEvent.Check.MALFORMED
            ),
            detail=str(exc)[:300],
            payload={
                "body": body[:_KEPT_BODY].decode("utf-8", errors="replace"),
                "headers": {k: lowered[k][:300] for k in _KEPT_HEADERS if k in lowered},
            },
        )


def _match(provider: str, note: Notification) -> Q | None:
    """The top-up a notification is about: by our reference or the provider's ids."""
    match = Q()
    if note.reference:
        match |= Q(reference=note.reference)
    if note.provider_payment_id:
        match |= Q(provider_payment_id=note.provider_payment_id)
    if note.provider_charge_id:
        match |= Q(provider_charge_id=note.provider_charge_id)
    return (match & Q(method=provider)) if match else None


def _unknown(provider: str, note: Notification) -> Received:
    settlement = Settlement.from_notification(note, _STATUS.get(note.kind, PaymentStatus.PAID))
    new = topup_unknown_event(provider=provider, settlement=settlement)
    return Received(200, "unknown" if new else "duplicate")


def notification_apply(*, provider: str, note: Notification) -> Received:
    if note.kind == EventKind.IGNORED:
        return Received(200, "ignored")
    if note.event_id and event_seen(provider, note.event_id):
        # A replay: answered without a lock. The lock and the unique index below still
        # guard a replay that races its original.
        return Received(200, "duplicate")
    card = customer_card_match(note) if provider == "stripe" else None
    if card is not None:
        # A customer's own card payment (payments.services.customer_card), not a top-up.
        return Received(200, customer_card_notification(payment=card, note=note))
    match = _match(provider, note)
    if match is None:
        return _unknown(provider, note)
    if note.kind in (EventKind.REFUNDED, EventKind.CHARGEBACK):
        topup = TopUp.objects.filter(match).order_by("id").first()
        if topup is None:
            return _unknown(provider, note)
        reverse = refund_from_provider if note.kind == EventKind.REFUNDED else chargeback_receive
        reverse(topup_id=topup.pk, note=note)
        return Received(200, "applied")
    settled = topup_settle(
        match=match, settlement=Settlement.from_notification(note, _STATUS[note.kind])
    )
    if settled is None:
        return _unknown(provider, note)
    topup = settled.topup
    if settled.duplicate:
        return Received(200, "duplicate")
    if note.kind == EventKind.APPROVED:
        # PayPal: the payer approved; capture in the worker (a provider call, no lock held).
        enqueue_on_commit("payments.tasks.topup_refresh", topup.pk)
    if settled.check:
        return Received(200, "rejected")
    return Received(200, "applied")
