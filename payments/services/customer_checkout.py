"""An end customer opening a payment for their own credit in the customer portal, and the
PayPal Payments Standard form that sends them to pay their reseller's own PayPal account.

`customer_payment_open` records the intent (a `created` CustomerPayment with our order id);
nothing is credited here: PayPal's IPN, verified by postback, marks the payment paid and
payments.services.customer_payments credits it. The same form sent twice (its one-time
`form_key`) opens one payment.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.money import money_display, to_minor_unit
from core.net import portal_url
from customers.models import Customer
from customers.selectors import recharge_amounts
from payments.errors import CustomerTopUpError
from payments.gateways.registry import method_available
from payments.models import CustomerPayment, ResellerPaypal
from payments.selectors import reseller_paypal_enabled

Provider = CustomerPayment.Provider
REFERENCE_PREFIX = "CP"
# PayPal's `lc` (the language of its page) by our language: a country whose language it is.
PAYPAL_LC = {"en": "GB", "de": "DE", "fr": "FR", "pl": "PL"}


def new_reference() -> str:
    """Our order id: "CP" and 12 random upper-case base32 characters (60 bits)."""
    return REFERENCE_PREFIX + b32encode(secrets.token_bytes(10)).decode("ascii")[:12]


def customer_topup_amounts(*, customer: Customer) -> list[Decimal]:
    """What a customer may top up: the amounts their reseller sells."""
    return recharge_amounts(reseller=customer.reseller)


def customer_provider_available(*, customer: Customer, provider: str) -> bool:
    """PayPal: the reseller's own account is set up and enabled. Card: the operator's Stripe."""
    if provider == Provider.PAYPAL:
        return reseller_paypal_enabled(reseller=customer.reseller) is not None
    if provider == Provider.STRIPE:
        return card_available(reseller=customer.reseller)
    return False


def card_available(*, reseller) -> bool:
    """Whether the reseller's customers may pay by card: the operator's Stripe is configured
    and the reseller takes no PayPal payments of its own (the issue: card "for resellers
    without PayPal")."""
    if not method_available("stripe") or reseller.status != reseller.Status.APPROVED:
        return False
    return not ResellerPaypal.objects.filter(reseller=reseller, enabled=True).exists()


def customer_topup_methods(*, customer: Customer) -> list[str]:
    """The ways the portal offers this customer to top up: PayPal when the reseller's own
    account is enabled, else the card (the operator's Stripe) when it is configured."""
    return [
        provider.value
        for provider in (Provider.PAYPAL, Provider.STRIPE)
        if customer_provider_available(customer=customer, provider=provider)
    ]


def _offered(amount, customer: Customer) -> Decimal:
    offered = customer_topup_amounts(customer=customer)
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value not in offered:
        currency = str(customer.reseller.currency)
        raise CustomerTopUpError(
            "amount-not-offered",
            amounts=", ".join(money_display(a, currency) for a in offered) or "-",
        )
    return value


@transaction.atomic(durable=True)
def customer_payment_open(
    *, customer: Customer, amount: Decimal | str, provider: str, form_key: str
) -> CustomerPayment:
    """Open the customer's payment of `amount` (one of the offered amounts) with `provider`.
    The same `form_key` again returns the payment it opened (a double submit)."""
    customer = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("reseller", "user")
        .get(pk=customer.pk)
    )
    existing = CustomerPayment.objects.filter(customer=customer, form_key=form_key).first()
    if existing is not None:
        return existing
    if customer.status != Customer.Status.ACTIVE:
        raise CustomerTopUpError("customer-inactive")
    if provider not in Provider.values or not customer_provider_available(
        customer=customer, provider=provider
    ):
        raise CustomerTopUpError("provider-unavailable")
    value = _offered(amount, customer)
    reference = new_reference()
    while CustomerPayment.objects.filter(reference=reference).exists():
        reference = new_reference()  # pragma: no cover - 60 random bits
    payment = CustomerPayment.objects.create(
        reseller=customer.reseller,
        customer=customer,
        provider=provider,
        amount=value,
        currency=str(customer.reseller.currency),
        reference=reference,
        form_key=form_key,
    )
    audit_record(
        actor=customer.user,
        action="customer_payment.opened",
        reseller=customer.reseller,
        obj=payment,
        data={
            "amount": str(value),
            "currency": payment.currency,
            "provider": provider,
            "reference": reference,
        },
    )
    return payment


def paypal_notify_url(paypal: ResellerPaypal) -> str:
    """Where PayPal posts the IPNs of this reseller's payments (its token names it)."""
    return portal_url(reverse("payments:paypal-ipn", args=[paypal.notify_token]))


def paypal_standard_fields(
    *, payment: CustomerPayment, paypal: ResellerPaypal, return_url: str, cancel_url: str
) -> list[tuple[str, str]]:
    """The PayPal Payments Standard form ("Buy Now", cmd=_xclick) that pays `payment` into
    the reseller's own account: our order id as `invoice`, the customer's id as `custom`, the
    reseller's notify_url. In the customer's language (item name, PayPal's page)."""
    customer = payment.customer
    language = customer.language or settings.LANGUAGE_CODE
    with translation.override(language):
        item_name = _("Credit for %(phone)s") % {"phone": customer.phone}
    return [
        ("cmd", "_xclick"),
        ("business", paypal.receiver_email),
        ("item_name", item_name),
        ("amount", str(to_minor_unit(payment.amount, payment.currency))),
        ("currency_code", payment.currency),
        ("invoice", payment.reference),
        ("custom", str(customer.pk)),
        ("notify_url", paypal_notify_url(paypal)),
        ("return", return_url),
        ("cancel_return", cancel_url),
        ("charset", "utf-8"),
        ("no_shipping", "1"),
        ("no_note", "1"),
        ("lc", PAYPAL_LC.get(language.split("-")[0], "GB")),
    ]
