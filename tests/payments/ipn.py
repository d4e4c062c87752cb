"""Customers paying into their reseller's own PayPal, for the IPN tests: a reseller with its
PayPal account, a customer's open order, and the IPN PayPal would post about it (written by
the loopback FakePayPalIpn, which answers the postback VERIFIED only for what it wrote)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse

from payments.fakes.paypal_ipn import FakePayPalIpn
from payments.models import CustomerPayment, ResellerPaypal
from payments.services.paypal_ipn import reseller_paypal_set
from tests.factories import CustomerFactory, MembershipFactory, ResellerFactory


@dataclass
class Shop:
    reseller: object
    account: ResellerPaypal
    customer: object

    @property
    def url(self) -> str:
        return reverse("payments:paypal-ipn", args=[self.account.notify_token])


def shop(name: str, email: str, merchant_id: str) -> Shop:
    reseller = ResellerFactory(name=name, commission_rate=Decimal("10.00"))
    admin = MembershipFactory(reseller=reseller).user
    account = reseller_paypal_set(
        reseller=reseller, actor=admin, receiver_email=email, merchant_id=merchant_id, enabled=True
    )
    return Shop(reseller=reseller, account=account, customer=CustomerFactory(reseller=reseller))


def order(shop: Shop, amount: str = "20.00", currency: str = "EUR") -> CustomerPayment:
    """The customer's open order, as the portal's Top up page opens it."""
    return CustomerPayment.objects.create(
        reseller=shop.reseller,
        customer=shop.customer,
        provider=CustomerPayment.Provider.PAYPAL,
        amount=Decimal(amount),
        currency=currency,
        reference=f"CP{uuid.uuid4().hex[:12].upper()}",
        form_key=uuid.uuid4().hex,
    )


def completed(
    fake: FakePayPalIpn, payment: CustomerPayment, account: ResellerPaypal, **fields
) -> bytes:
    """The IPN PayPal posts when the customer paid `payment` into `account`."""
    values = {
        "txn_type": "web_accept",
        "txn_id": uuid.uuid4().hex[:17].upper(),
        "payment_status": "Completed",
        "receiver_email": account.receiver_email,
        "receiver_id": account.merchant_id,
        "business": account.receiver_email,
        "mc_gross": str(payment.amount),
        "mc_currency": payment.currency,
        "mc_fee": "0.73",
        "custom": f"customer:{payment.customer_id}",
        "invoice": payment.reference,
        "payer_email": "buyer@example.net",
        **fields,
    }
    return fake.message(**values)


def post_ipn(client, url: str, body: bytes):
    return client.post(url, body, content_type="application/x-www-form-urlencoded")
