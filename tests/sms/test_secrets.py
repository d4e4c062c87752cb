"""Issue 11, point 4: the password of the credentials SMS is never stored readable once the
message has been handed to the backend, whichever backend, and whatever the outcome."""

import importlib
import logging

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.urls import reverse

from sms.delivery import message_deliver
from sms.models import Message
from sms.services import SECRET_MASK, MessageSecretGone, message_queue, message_resend
from tests.errors import raises_code
from tests.factories import CustomerFactory, UserFactory
from tests.sms.factories import MessageFactory

PASSWORD = "Zx9kQ2mW7pLt"
WELCOME = {
    "phone": "+491791234567",
    "password": PASSWORD,
    "portal_url": "https://portal.example.test/my/",
    "reseller_name": "Kiosk Nord",
}


def _welcome(customer=None) -> Message:
    customer = customer or CustomerFactory(phone="+491791234567", language="en")
    return message_queue(
        reseller=customer.reseller,
        recipient=customer.phone,
        template="customer_welcome",
        context=WELCOME,
        customer=customer,
    )


def _stored_anywhere(message: Message, secret: str) -> list[str]:
    """The columns of the message's row that hold `secret`, as the database has them."""
    table = Message._meta.db_table
    columns = [f.column for f in Message._meta.concrete_fields]
    with connection.cursor() as cursor:
        sql = f'SELECT {", ".join(columns)} FROM "{table}" WHERE id = %s'  # noqa: S608 - _meta
        cursor.execute(sql, [message.pk])
        row = cursor.fetchone()
    return [column for column, value in zip(columns, row, strict=True) if secret in str(value)]


@pytest.mark.django_db
def test_queued_credentials_keep_the_password_apart_and_the_body_masked():
    message = _welcome()
    assert message.body == (
        f"Kiosk Nord: your account is ready. Username: +491791234567 Password: {SECRET_MASK} "
        "(change it at first sign-in). Sign in: https://portal.example.test/my/"
    )
    assert message.masked and message.sendable
    assert PASSWORD in message.secret_body
    assert message.text_to_send() == message.body.replace(SECRET_MASK, PASSWORD)
    # Until delivery the text to send is the only readable copy.
    assert _stored_anywhere(message, PASSWORD) == ["secret_body"]


@pytest.mark.django_db
def test_a_message_without_secrets_is_stored_as_sent():
    customer = CustomerFactory(language="en")
    message = message_queue(
        reseller=customer.reseller,
        recipient=customer.phone,
        template="customer_recharged",
        context={"amount": 5, "balance": 5, "currency": "EUR", "reseller_name": "K"},
        customer=customer,
    )
    assert (message.masked, message.secret_body) == (False, "")
    assert message.text_to_send() == message.body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["database", "console", "http"])
def test_once_sent_the_password_is_nowhere_in_the_row(backend, gateway, settings, caplog):
    """The gateway (or the log, the console backend's delivery) gets the password; the row
    keeps the mask only. With the database backend the inbox is the delivery: it shows the
    mask too."""
    settings.SMS_BACKEND = backend
    caplog.set_level(logging.INFO, logger="sms.backends")
    with transaction.atomic():
        message = _welcome()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert _stored_anywhere(message, PASSWORD) == []
    assert message.secret_body == "" and f"Password: {SECRET_MASK}" in message.body
    if backend == "http":
        (payload,) = gateway.accepted()
        assert f"Password: {PASSWORD}" in payload["text"]
    if backend == "console":
        assert f"Password: {PASSWORD}" in caplog.text
    if backend == "database":  # DEBUG is off: not even the log has it
        assert PASSWORD not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_database_backend_logs_the_text_as_sent_only_in_debug(settings, caplog):
    """`make run` (DEBUG): the developer signs in as a new customer with the logged text."""
    settings.DEBUG = True
    caplog.set_level(logging.INFO, logger="sms.backends")
    with transaction.atomic():
        message = _welcome()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert _stored_anywhere(message, PASSWORD) == []
    assert f"Password: {PASSWORD}" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_transient_failure_keeps_the_password_for_the_retry_and_a_final_one_drops_it(
    gateway, settings
):
    settings.SMS_MAX_ATTEMPTS = 2
    gateway.mode = "down"
    with transaction.atomic():
        message = _welcome()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 1)
    assert PASSWORD in message.secret_body  # to be tried again
    Message.objects.filter(pk=message.pk).update(next_attempt_at=None)
    assert message_deliver(message_id=message.pk).status == Message.Status.FAILED
    message.refresh_from_db()
    assert _stored_anywhere(message, PASSWORD) == []
    assert not message.sendable
    assert [PASSWORD in r.payload["text"] for r in gateway.requests] == [True, True]


@pytest.mark.django_db(transaction=True)
def test_a_permanent_failure_drops_the_password(gateway):
    gateway.mode = "reject"
    with transaction.atomic():
        message = _welcome()
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert _stored_anywhere(message, PASSWORD) == []


@pytest.mark.django_db
def test_a_failed_credentials_message_cannot_be_resent_and_nothing_changes():
    message = MessageFactory(
        template="customer_welcome",
        body=f"Password: {SECRET_MASK}",
        masked=True,
        status=Message.Status.FAILED,
        last_error="HTTP 400",
    )
    with raises_code(MessageSecretGone, "sms-secret-gone"):
        message_resend(message=message, actor=UserFactory())
    message.refresh_from_db()
    assert (message.status, message.last_error) == (Message.Status.FAILED, "HTTP 400")


@pytest.mark.django_db
def test_the_customer_page_offers_a_credentials_reset_instead_of_a_resend(world):
    message = MessageFactory(
        customer=world.a.customer,
        template="customer_welcome",
        body=f"Password: {SECRET_MASK}",
        masked=True,
        status=Message.Status.FAILED,
    )
    client = world.client_for("user")
    page = client.get(reverse("customers:customer-detail", args=[world.a.customer.pk]))
    assert reverse("sms:message-resend", args=[message.pk]) not in page.text
    assert 'data-testid="secret-gone"' in page.text
    answer = client.post(reverse("sms:message-resend", args=[message.pk]), follow=True)
    assert "Reset the customer&#x27;s sign-in details to send new ones." in answer.text
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_staff_see_the_mask_in_the_inbox_and_the_message(world):
    with transaction.atomic():
        message = _welcome(world.b.customer)
    staff = world.client_for("staff")
    inbox = staff.get(reverse("sms:inbox")).text
    detail = staff.get(reverse("sms:message-detail", args=[message.pk])).text
    assert PASSWORD not in inbox and PASSWORD not in detail
    assert SECRET_MASK in detail and 'data-testid="sms-masked"' in detail


@pytest.mark.django_db
def test_the_migration_masks_credentials_written_before():
    """Rows of the old code had the password in `body`: sent ones get the text written again
    from the template with the mask, queued ones keep it only in `secret_body`."""
    migration = importlib.import_module("sms.migrations.0002_message_secret_and_reference")
    old = f"K: your account is ready. Username: +491791234567 Password: {PASSWORD} (...)"
    sent = MessageFactory(
        template="customer_welcome", body=old, status=Message.Status.SENT, language="de"
    )
    queued = MessageFactory(template="customer_welcome", body=old, status=Message.Status.QUEUED)
    other = MessageFactory(body="New balance: 10.00 EUR", status=Message.Status.SENT)
    references = {m.pk: m.reference for m in (sent, queued, other)}
    migration.forwards(apps, None)
    for message in (sent, queued, other):
        message.refresh_from_db()
    assert PASSWORD not in sent.body and sent.secret_body == "" and sent.masked
    assert f"Passwort: {SECRET_MASK}" in sent.body and sent.reseller.name in sent.body
    assert queued.secret_body == old and PASSWORD not in queued.body and queued.sendable
    assert (other.body, other.masked) == ("New balance: 10.00 EUR", False)
    assert len({m.reference for m in (sent, queued, other)} | set(references.values())) == 6
