"""Delivering the SMS outbox: what `sms.tasks` runs.

`message_deliver` claims the row with a compare-and-set queued → sending, calls the backend
outside any transaction and records the answer in a new one, so a message the gateway accepted
is never sent again. `messages_requeue_stuck` puts back what a lost retry or a dead worker
left queued or sending: a message stays "sending" at most SMS_SENDING_LEASE_SECONDS (a worker
killed mid-send), then it is sent again with the same `reference`, which the gateway uses to
drop the duplicate if the first try did reach it.

Once a message is sent or finally failed, its secret's full text (`secret_body`) is emptied
in the same statement: the stored text keeps only the mask (sms.services.SECRETS).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from sms.backends import SendResult, backend_get
from sms.models import Message
from sms.sql import CLAIM, FOR_DELIVERY, SENT


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt did. retry_in: seconds until the next try, if one is due."""

    status: str
    retry_in: int | None = None


def retry_delay(attempts: int) -> int:
    """Exponential backoff after the n-th failed attempt, capped."""
    base = settings.SMS_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.SMS_RETRY_MAX_SECONDS)


def message_deliver(*, message_id: int) -> Delivery:
    """Send one queued message once. Safe to run twice or concurrently for the same id: only
    the run that moves it queued → sending calls the backend."""
    claimed = _execute(  # written out (sms.sql), as the two below: every SMS runs them
        CLAIM,
        [Message.Status.SENDING, settings.SMS_BACKEND, _now(), message_id, Message.Status.QUEUED],
    )
    if not claimed:
        status = Message.objects.filter(pk=message_id).values_list("status", flat=True).first()
        return Delivery(status=status or "missing")
    message = message_for_delivery(message_id=message_id)

    if message.sendable:
        result = backend_get(message.backend).send(message)  # outside any transaction
    else:  # a masked secret whose text is gone: sending the mask would help nobody
        result = SendResult(SendResult.PERMANENT, error="the secret of this message is gone")

    if result.outcome == SendResult.SENT:  # one UPDATE: no transaction around it
        return _record(message=message, result=result)
    with transaction.atomic(durable=True):  # a failure may also write an audit row
        return _record(message=message, result=result)


def _execute(sql: str, params: list) -> int:
    """Run one statement; the number of rows it changed."""
    with connections[Message.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _now():
    """Now, as the database takes a datetime column's value (what the ORM would send)."""
    return connections[Message.objects.db].ops.adapt_datetimefield_value(timezone.now())


def message_for_delivery(*, message_id: int) -> Message:
    """The message with the names its sender is made of (`sender_reseller_name`,
    `sender_display_name`; see sms.backends.message_sender_name), in one query."""
    return next(iter(Message.objects.raw(FOR_DELIVERY, [message_id])))


def _record(*, message: Message, result: SendResult) -> Delivery:
    if result.outcome == SendResult.SENT:
        now = _now()
        params = [Message.Status.SENT, result.provider_message_id, now, "", now, message.pk]
        _execute(SENT, [*params, Message.Status.SENT])
        return Delivery(status=Message.Status.SENT)
    now = timezone.now()
    unsent = Message.objects.filter(pk=message.pk).exclude(status=Message.Status.SENT)
    error = (result.error or result.outcome)[:500]
    if result.outcome == SendResult.TRANSIENT and message.attempts < settings.SMS_MAX_ATTEMPTS:
        delay = retry_delay(message.attempts)
        unsent.update(
            status=Message.Status.QUEUED,
            last_error=error,
            next_attempt_at=now + dt.timedelta(seconds=delay),
            updated_at=now,
        )
        return Delivery(status=Message.Status.QUEUED, retry_in=delay)
    unsent.update(
        status=Message.Status.FAILED,
        last_error=error,
        next_attempt_at=None,
        secret_body="",
        updated_at=now,
    )
    audit_record(
        actor=None,
        action="sms.message.failed",
        reseller=message.reseller,
        obj=message,
        data={"error": error, "attempts": message.attempts},
    )
    return Delivery(status=Message.Status.FAILED)


def messages_requeue_stuck(
    *, older_than: dt.timedelta | None = None, lease: dt.timedelta | None = None
) -> list[int]:
    """Messages left queued (their retry or their first enqueue lost) for longer than
    SMS_STUCK_AFTER_SECONDS, or sending (a worker died mid-send) for longer than the lease
    SMS_SENDING_LEASE_SECONDS, go back to queued; their ids are returned for sending."""
    now = timezone.now()
    cutoff = now - (older_than or dt.timedelta(seconds=settings.SMS_STUCK_AFTER_SECONDS))
    lease_cutoff = now - (lease or dt.timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS))
    due_long_ago = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=cutoff)
    stuck = Q(status=Message.Status.SENDING, updated_at__lt=lease_cutoff) | (
        Q(status=Message.Status.QUEUED, updated_at__lt=cutoff) & due_long_ago
    )
    with transaction.atomic(durable=True):
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(stuck)
            .order_by("id")
            .values_list("id", flat=True)[: settings.SMS_STUCK_BATCH]
        )
        if ids:
            Message.objects.filter(pk__in=ids).update(
                status=Message.Status.QUEUED, updated_at=timezone.now()
            )
    return ids
