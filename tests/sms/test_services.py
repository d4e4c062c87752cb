import pytest
from django.db import transaction

from audit.models import AuditEvent
from core.phones import InvalidPhoneNumber, language_for_phone
from sms.models import Message
from sms.services import (
    MessageStateError,
    MissingContext,
    UnknownTemplate,
    message_language,
    message_queue,
    message_render,
    message_resend,
)
from tests.errors import raises_code
from tests.factories import CustomerFactory, ResellerFactory, UserFactory
from tests.sms.factories import FailedMessageFactory, MessageFactory

WELCOME = {
    "phone": "+491791234567",
    "password": "s3cret-Pass",
    "portal_url": "https://portal.example.test/my/",
    "reseller_name": "Kiosk Nord",
}
RECHARGED = {  # the amounts come written in the message's language (customers.services)
    "amount": "10,00\u00a0€",
    "balance": "1.234,50\u00a0€",
    "reseller_name": "Kiosk Nord",
}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Username: +491791234567", "Password: s3cret-Pass"]),
        ("de", ["Benutzername: +491791234567", "Passwort: s3cret-Pass"]),
        ("fr", ["Identifiant : +491791234567", "Mot de passe : s3cret-Pass"]),
        ("pl", ["Login: +491791234567", "Hasło: s3cret-Pass"]),
    ],
)
def test_welcome_text_in_each_language_carries_the_credentials(language, words):
    text = message_render(template="customer_welcome", context=WELCOME, language=language)
    for word in [*words, "https://portal.example.test/my/", "Kiosk Nord"]:
        assert word in text
    assert "\n" not in text
    assert len(text) < 200


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["10,00 € added", "New balance: 1.234,50 €."]),
        ("de", ["10,00 € aufgeladen", "Neues Guthaben: 1.234,50 €."]),
        ("fr", ["10,00 € crédités", "Nouveau solde : 1.234,50 €."]),
        ("pl", ["doładowano 10,00 €", "Nowe saldo: 1.234,50 €."]),
    ],
)
def test_recharge_text_in_each_language_has_amount_and_balance(language, words):
    text = message_render(template="customer_recharged", context=RECHARGED, language=language)
    for word in words:
        assert word in text, text


def test_text_is_not_html_escaped():
    text = message_render(
        template="customer_welcome",
        context={**WELCOME, "reseller_name": "Mayer & Söhne", "password": "a<b>'c"},
        language="en",
    )
    assert "Mayer & Söhne" in text
    assert "a<b>'c" in text


@pytest.mark.parametrize(
    ("number", "language"),
    [
        ("+491791234567", "de"),
        ("+436641234567", "de"),
        ("+41791234567", "de"),
        ("+33612345678", "fr"),
        ("+32470123456", "fr"),
        ("+352621123456", "fr"),
        ("+37761234567", "fr"),
        ("+48512345678", "pl"),
        ("+447911123456", "en"),
        ("+34612345678", "en"),
        ("not a number", "en"),
    ],
)
def test_language_from_the_numbers_country(number, language):
    assert language_for_phone(number) == language


def test_language_asked_wins_then_customers_then_country():
    customer = CustomerFactory.build(language="pl")
    assert message_language(recipient="+491791234567", customer=customer, language="fr") == "fr"
    assert message_language(recipient="+491791234567", customer=customer) == "pl"
    assert message_language(recipient="+491791234567", customer=None) == "de"
    customer.language = ""
    assert message_language(recipient="+33612345678", customer=customer) == "fr"
    customer.language = "es"  # no texts in Spanish: the number decides
    assert message_language(recipient="+48512345678", customer=customer) == "pl"


def test_unknown_template_and_missing_context_are_refused():
    with pytest.raises(UnknownTemplate, match="customer_bogus"):
        message_render(template="customer_bogus", context={}, language="en")
    with pytest.raises(MissingContext, match="needs amount, balance"):
        message_render(
            template="customer_recharged",
            context={"reseller_name": "x"},
            language="en",
        )


@pytest.mark.django_db(transaction=True)
def test_queue_writes_in_the_callers_transaction_and_sends_on_commit():
    customer = CustomerFactory(phone="+33612345678", language="")
    with transaction.atomic():
        message = message_queue(
            reseller=customer.reseller,
            recipient="0033 6 12 34 56 78",
            template="customer_recharged",
            context=RECHARGED,
            customer=customer,
        )
        # Not sent before the caller commits.
        assert Message.objects.get(pk=message.pk).status == Message.Status.QUEUED
    message.refresh_from_db()
    assert message.recipient == "+33612345678"
    assert message.language == "fr"
    assert "Nouveau solde" in message.body
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    assert message.provider_message_id == f"inbox-{message.pk}"
    assert message.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_queue_rolls_back_with_the_caller():
    reseller = ResellerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        message_queue(
            reseller=reseller,
            recipient="+491791234567",
            template="customer_welcome",
            context=WELCOME,
        )
        raise RuntimeError("the recharge failed")
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_queue_refuses_bad_input_and_writes_nothing():
    reseller = ResellerFactory()
    with pytest.raises(InvalidPhoneNumber):
        message_queue(
            reseller=reseller, recipient="12", template="customer_welcome", context=WELCOME
        )
    with pytest.raises(UnknownTemplate):
        message_queue(
            reseller=reseller, recipient="+491791234567", template="nope", context=WELCOME
        )
    with pytest.raises(MissingContext):
        message_queue(
            reseller=reseller,
            recipient="+491791234567",
            template="customer_welcome",
            context={"phone": "x"},
        )
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_resend_requeues_a_failed_message_audits_and_sends():
    message = FailedMessageFactory(attempts=6)
    actor = UserFactory()
    message_resend(message=message, actor=actor)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    event = AuditEvent.objects.get(action="sms.message.resent")
    assert event.actor == actor
    assert event.reseller == message.reseller
    assert event.data == {"previous_error": "HTTP 400: bad number"}


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Message.Status.SENT, Message.Status.QUEUED])
def test_resend_of_a_message_not_failed_is_refused(status):
    message = MessageFactory(status=status)
    with raises_code(MessageStateError, "sms-state"):
        message_resend(message=message, actor=None)
    message.refresh_from_db()
    assert message.status == status
    assert not AuditEvent.objects.filter(action="sms.message.resent").exists()
