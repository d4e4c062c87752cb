"""SMS factories: a message's tenant comes from its customer."""

from __future__ import annotations

import factory

from sms.models import Message
from tests.factories import CustomerFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    customer = factory.SubFactory(CustomerFactory)
    reseller = factory.SelfAttribute("customer.reseller")
    recipient = factory.SelfAttribute("customer.phone")
    body = "Test: 10.00 EUR added to your account. New balance: 10.00 EUR."
    template = "customer_recharged"
    language = "en"
    backend = "database"


class FailedMessageFactory(MessageFactory):
    status = Message.Status.FAILED
    attempts = 1
    last_error = "HTTP 400: bad number"
