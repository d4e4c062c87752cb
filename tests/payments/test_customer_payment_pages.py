"""The pages of customers' own payments (issue 15): the reseller's PayPal settings (the Admin
changes them, the Accountant reads them), its customers' payments and its PayPal notifications,
and the staff's lists over every reseller; each list asks the database a fixed number of
times however many rows it shows."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from payments.models import CustomerPayment, PaypalIpn, ResellerPaypal
from tests.page_queries import assert_bounded
from tests.world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    """The two-tenant world with its payments, customers' own PayPal included."""
    return build_world(payments=True)


def _rows(world, rows: int) -> None:
    """Customer payments of both tenants, each with an IPN about it and a forged one."""
    for number in range(rows):
        tenant = (world.a, world.b)[number % 3 == 2]
        payment = CustomerPayment.objects.create(
            reseller=tenant.reseller,
            customer=tenant.customer,
            provider=CustomerPayment.Provider.PAYPAL,
            status=(CustomerPayment.Status.CREDITED, CustomerPayment.Status.NEEDS_FUNDS)[
                number % 2
            ],
            amount=Decimal(f"{10 + number}.00"),
            currency="EUR",
            reference=f"CP{uuid4().hex[:12].upper()}",
            provider_payment_id=uuid4().hex[:17].upper(),
            form_key=uuid4().hex,
        )
        for verdict, outcome in (
            (PaypalIpn.Verdict.VERIFIED, PaypalIpn.Outcome.APPLIED),
            (PaypalIpn.Verdict.INVALID, PaypalIpn.Outcome.REJECTED),
        ):
            PaypalIpn.objects.create(
                reseller=tenant.reseller,
                body=b"txn_id=X&payment_status=Completed",
                txn_id=payment.provider_payment_id,
                payment_status="Completed",
                gross=payment.amount,
                currency="EUR",
                verdict=verdict,
                outcome=outcome,
                failed_check="forged" if outcome == PaypalIpn.Outcome.REJECTED else "",
                customer_payment=payment if outcome == PaypalIpn.Outcome.APPLIED else None,
            )


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("accountant", "payments:customer-payment-list"),
        ("accountant", "payments:paypal-ipn-list"),
        ("staff", "payments:staff-customer-payment-list"),
        ("staff", "payments:staff-paypal-ipn-list"),
    ],
)
def test_lists_are_bounded(world, role, name, django_assert_max_num_queries):
    client = world.client_for(role, world.a)
    assert_bounded(
        client, reverse(name), lambda rows: _rows(world, rows), django_assert_max_num_queries
    )


def test_the_admin_sets_the_paypal_account_and_the_token_is_made_once(world):
    client = world.client_for("admin", world.a)
    account = world.a.reseller.paypal_account
    token = account.notify_token
    page = client.get("/r/paypal/").content.decode()
    assert f"/ipn/paypal/{token}/" in page
    answer = client.post(
        "/r/paypal/",
        {"receiver_email": "New@Shop.example", "merchant_id": "abcdefghjk234", "enabled": ""},
    )
    assert answer.status_code == 302
    account = ResellerPaypal.objects.get(pk=account.pk)
    assert (account.receiver_email, account.merchant_id, account.enabled) == (
        "new@shop.example",
        "ABCDEFGHJK234",
        False,
    )
    assert account.notify_token == token
    assert AuditEvent.objects.filter(action="reseller_paypal.set", object_id=str(account.pk))


@pytest.mark.parametrize(
    ("field", "value"),
    [("merchant_id", "ABC123"), ("merchant_id", "ABCDEFGHJK23!"), ("receiver_email", "no-mail")],
)
def test_a_wrong_merchant_id_or_address_is_refused(world, field, value):
    client = world.client_for("admin", world.a)
    data = {"receiver_email": "shop@example.net", "merchant_id": "ABCDEFGHJK234", "enabled": "on"}
    answer = client.post("/r/paypal/", {**data, field: value})
    assert answer.status_code == 400
    assert answer.context["form"].errors[field]
    account = ResellerPaypal.objects.get(reseller=world.a.reseller)
    assert account.merchant_id != "ABCDEFGHJK234"


def test_the_accountant_reads_but_cannot_change_the_account(world):
    client = world.client_for("accountant", world.a)
    page = client.get("/r/paypal/")
    assert page.status_code == 200 and 'data-testid="paypal-save"' not in page.content.decode()
    data = {"receiver_email": "x@example.net", "merchant_id": "ABCDEFGHJK234", "enabled": "on"}
    assert client.post("/r/paypal/", data).status_code == 403
    assert client.post("/r/customer-payments/fund/").status_code == 403


def test_a_new_reseller_gets_its_token_on_first_save(world):
    reseller = world.b.reseller
    ResellerPaypal.objects.filter(reseller=reseller).delete()
    client = world.client_for("admin", world.b)
    assert "ipn-address" not in client.get("/r/paypal/").content.decode()
    data = {"receiver_email": "b@example.net", "merchant_id": "ABCDEFGHJK234", "enabled": "on"}
    assert client.post("/r/paypal/", data).status_code == 302
    account = ResellerPaypal.objects.get(reseller=reseller)
    assert len(account.notify_token) == 43 and account.enabled
    assert account.notify_token != world.a.reseller.paypal_account.notify_token
