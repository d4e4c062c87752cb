"""Writes on the SMS outbox.

A change that tells a customer something calls `message_queue` inside its own transaction:
the Message row commits (or rolls back) with the change, and the task that sends it is
enqueued on commit. Delivery (`message_deliver`, run by `sms.tasks.message_send`) claims the
row with a compare-and-set queued → sending, calls the backend outside any transaction and
records the answer in a new one, so a message the gateway accepted is never sent again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import audit_record
from core.errors import DomainError
from core.phones import LANGUAGES, language_for_phone, phone_normalise
from resellers.models import Reseller
from sms.backends import SendResult, backend_get
from sms.models import Message
from sms.sql import CLAIM, FOR_DELIVERY, SENT

if TYPE_CHECKING:  # a type only: customers sits above sms
    from customers.models import Customer

# Each template and the context it needs.
TEMPLATES: dict[str, frozenset[str]] = {
    "customer_welcome": frozenset({"phone", "password", "portal_url", "reseller_name"}),
    "customer_recharged": frozenset({"amount", "balance", "currency", "reseller_name"}),
}


class MessageError(DomainError):
    """A message cannot be written or acted on as asked."""

    code = "sms"


class UnknownTemplate(MessageError):
    code = "sms-unknown-template"


class MissingContext(MessageError):
    code = "sms-missing-context"


class MessageStateError(MessageError):
    """The message is not in a state that allows the action (e.g. resend of a sent one)."""

    code = "sms-state"
    message = _("Only failed messages can be resent; this one is %(status)s.")


def message_language(
    *, recipient: str, customer: Customer | None = None, language: str | None = None
) -> str:
    """The language asked for, else the customer's, else the number's country's."""
    for candidate in (language, customer.language if customer is not None else None):
        if candidate:
            code = candidate.lower().split("-")[0]
            if code in LANGUAGES:
                return code
    return language_for_phone(recipient)


def message_render(*, template: str, context: dict, language: str) -> str:
    """The text of `template` in `language`, numbers formatted the language's way."""
    if template not in TEMPLATES:
        raise UnknownTemplate(
            f"unknown SMS template {template!r}; known: {', '.join(sorted(TEMPLATES))}"
        )
    missing = TEMPLATES[template] - set(context)
    if missing:
        raise MissingContext(f"SMS template {template!r} needs {', '.join(sorted(missing))}")
    if language not in LANGUAGES:
        raise MessageError(f"no SMS texts in language {language!r}")
    with translation.override(language):
        text = render_to_string(f"sms/{template}.{language}.txt", context)
    return " ".join(text.split())


def message_queue(
    *,
    reseller: Reseller,
    recipient: str,
    template: str,
    context: dict,
    customer: Customer | None = None,
    language: str | None = None,
) -> Message:
    """Render `template` in `language` (default: customer.language if set, else from the
    recipient number's country: DE/AT/CH→de, FR/BE/LU/MC→fr, PL→pl, else en), write a queued
    Message in the CALLER's transaction, and send it by a Celery task on commit.

    Raises InvalidPhoneNumber for a bad recipient and MessageError for an unknown template,
    missing context or unsupported language; nothing is written then."""
    number = phone_normalise(recipient)
    chosen = message_language(recipient=number, customer=customer, language=language)
    body = message_render(template=template, context=context, language=chosen)
    message = Message.objects.create(
        reseller=reseller,
        customer=customer,
        recipient=number,
        body=body,
        template=template,
        language=chosen,
        backend=settings.SMS_BACKEND,
    )
    _enqueue_on_commit(message.pk)
    return message


@transaction.atomic(durable=True)
def message_resend(*, message: Message, actor: User | None) -> Message:
    """Queue a failed message again (attempts start afresh) and send it after commit."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status != Message.Status.FAILED:
        raise MessageStateError(status=locked.get_status_display())
    previous_error = locked.last_error
    locked.status = Message.Status.QUEUED
    locked.attempts = 0
    locked.next_attempt_at = None
    locked.backend = settings.SMS_BACKEND
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "backend", "updated_at"])
    audit_record(
        actor=actor,
        action="sms.message.resent",
        reseller=locked.reseller,
        obj=locked,
        data={"previous_error": previous_error},
    )
    _enqueue_on_commit(locked.pk)
    return locked


def _enqueue_on_commit(message_id: int) -> None:
    from sms.tasks import message_send  # the task module imports this one

    transaction.on_commit(lambda: message_send.delay(message_id))


# --- Delivery ---------------------------------------------------------------------------------


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

    result = backend_get(message.backend).send(message)  # outside any transaction

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
        status=Message.Status.FAILED, last_error=error, next_attempt_at=None, updated_at=now
    )
    audit_record(
        actor=None,
        action="sms.message.failed",
        reseller=message.reseller,
        obj=message,
        data={"error": error, "attempts": message.attempts},
    )
    return Delivery(status=Message.Status.FAILED)


def messages_requeue_stuck(*, older_than: dt.timedelta | None = None) -> list[int]:
    """Messages left queued (their retry lost) or sending (a worker died mid-send) for longer
    than SMS_STUCK_AFTER_SECONDS go back to queued; their ids are returned for sending."""
    cutoff = timezone.now() - (older_than or dt.timedelta(seconds=settings.SMS_STUCK_AFTER_SECONDS))
    due_long_ago = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=cutoff)
    stuck = Q(status=Message.Status.SENDING, updated_at__lt=cutoff) | (
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
