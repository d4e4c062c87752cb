"""Writes on the SMS outbox: queueing a message, and resending a failed one.

A change that tells a customer something calls `message_queue` inside its own transaction:
the Message row commits (or rolls back) with the change, and the task that sends it
(`sms.tasks.message_send`, which runs `sms.delivery.message_deliver`) is enqueued on commit.
If the broker cannot take it then, the failure is logged and the row stays queued: the beat
job `sms.tasks.messages_resend_stuck` sends it (`core.queue.enqueue_on_commit`).

A template's secret fields (the password of the credentials SMS, `SECRETS`) are never kept
readable once the message is handed to the backend: the stored `body` is rendered with
`SECRET_MASK` in their place, and the full text waits in `secret_body` until delivery empties
it (sms.delivery).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import audit_record
from core.errors import DomainError
from core.phones import LANGUAGES, language_for_phone, phone_normalise
from core.queue import enqueue_on_commit
from resellers.models import Reseller
from sms.models import Message
from sms.tasks import message_send

if TYPE_CHECKING:  # a type only: customers sits above sms
    from customers.models import Customer

# Each template and the context it needs. Amounts arrive written out in the message's
# language by the caller ("10,00 €"): the SMS app knows nothing of money.
TEMPLATES: dict[str, frozenset[str]] = {
    "customer_welcome": frozenset({"phone", "password", "portal_url", "reseller_name"}),
    "customer_recharged": frozenset({"amount", "balance", "reseller_name"}),
}
# The context fields of a template that are secrets: masked in the stored text.
SECRETS: dict[str, frozenset[str]] = {"customer_welcome": frozenset({"password"})}
# What the stored text shows in a secret's place (README "SMS").
SECRET_MASK = "********"  # noqa: S105 - the mask, not a password


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


class MessageSecretGone(MessageError):
    """A failed credentials message: its password was masked, so it cannot be sent again."""

    code = "sms-secret-gone"
    message = _(
        "This SMS carried a password, which is not kept once a message is sent or has failed. "
        "Reset the customer's sign-in details to send new ones."
    )


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
    """The text of `template` in `language`, on one line."""
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

    The template's secret fields (`SECRETS`) are stored masked: `body` is the text rendered
    with SECRET_MASK in their place, `secret_body` the full text until delivery.

    Raises InvalidPhoneNumber for a bad recipient and MessageError for an unknown template,
    missing context or unsupported language; nothing is written then."""
    number = phone_normalise(recipient)
    chosen = message_language(recipient=number, customer=customer, language=language)
    text = message_render(template=template, context=context, language=chosen)
    secrets = SECRETS.get(template, frozenset())
    if secrets:
        shown = {**context, **dict.fromkeys(secrets, SECRET_MASK)}
        body = message_render(template=template, context=shown, language=chosen)
    else:
        body = text
    message = Message.objects.create(
        reseller=reseller,
        customer=customer,
        recipient=number,
        body=body,
        secret_body=text if secrets else "",
        masked=bool(secrets),
        template=template,
        language=chosen,
        backend=settings.SMS_BACKEND,
    )
    enqueue_on_commit(message_send, message.pk)
    return message


@transaction.atomic(durable=True)
def message_resend(*, message: Message, actor: User | None) -> Message:
    """Queue a failed message again (attempts start afresh) and send it after commit.

    A failed credentials message is refused (MessageSecretGone): its password is masked."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status != Message.Status.FAILED:
        raise MessageStateError(status=locked.get_status_display())
    if not locked.sendable:
        raise MessageSecretGone()
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
    enqueue_on_commit(message_send, locked.pk)
    return locked
