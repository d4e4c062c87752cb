"""Writes on end customers."""

from __future__ import annotations

import phonenumbers
from django.db import transaction

from accounts.models import User
from customers.models import Customer
from resellers.models import Reseller
from resellers.services import audit_record


class InvalidPhoneNumber(ValueError):
    """The text is not a valid mobile number."""


def phone_normalise(raw: str, *, default_region: str | None = None) -> str:
    """`491791234567`, `+49 179 1234567` or `0049 179 1234567` → `+491791234567` (E.164)."""
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("00"):
        text = "+" + digits[2:]
    elif not text.startswith("+") and default_region is None:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic(durable=True)
def customer_create(
    *,
    actor: User | None,
    reseller: Reseller,
    phone: str,
    name: str = "",
    email: str = "",
    language: str = "en",
    user: User | None = None,
) -> Customer:
    customer = Customer.objects.create(
        reseller=reseller,
        phone=phone_normalise(phone),
        name=name,
        email=email,
        language=language,
        user=user,
    )
    audit_record(actor=actor, action="customer.created", reseller=reseller, obj=customer)
    return customer
