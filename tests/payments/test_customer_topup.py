"""The customer portal's top-up (issue 15): an end customer chooses one of the reseller's
amounts and pays the reseller's own PayPal account through a PayPal Payments Standard form.

The service opens one payment per form (its one-time key), refuses amounts not offered and
PayPal when the reseller has not enabled it; the PayPal page posts exactly the fields PayPal
needs; the status page shows only the customer's own payments; nobody else gets the pages.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Role
from audit.models import AuditEvent
from ledger.verify import ledger_verify
from payments.errors import CustomerTopUpError
from payments.models import CustomerPayment, ResellerPaypal
from payments.services.customer_checkout import customer_payment_open, new_reference
from tests.factories import (
    CustomerUserFactory,
    MembershipFactory,
    ResellerFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

Status = CustomerPayment.Status
PAYPAL = CustomerPayment.Provider.PAYPAL


def _paypal(reseller, *, enabled: bool = True) -> ResellerPaypal:
    return ResellerPaypal.objects.create(
        reseller=reseller,
        receiver_email=f"shop-{reseller.pk}@paypal.example.test",
        merchant_id="S8XGHLYDW9T3S",
        enabled=enabled,
        notify_token=f"tok-{uuid.uuid4().hex}",
    )


@pytest.fixture
def shop():
    reseller = ResellerFactory(name="Kiosk Nord")
    paypal = _paypal(reseller)
    customer = CustomerUserFactory(reseller=reseller, phone="+4917012345678", language="de")
    return reseller, paypal, customer


def _client(customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


def _open(customer, amount="20", form_key=None) -> CustomerPayment:
    return customer_payment_open(
        customer=customer, amount=amount, provider=PAYPAL, form_key=form_key or uuid.uuid4().hex
    )


# --- The service ------------------------------------------------------------------------------


def test_opening_a_payment_records_it_created_with_an_order_id(shop):
    reseller, _paypal_account, customer = shop
    payment = _open(customer, "20")
    assert payment.status == Status.CREATED
    assert (payment.reseller, payment.customer, payment.provider) == (reseller, customer, PAYPAL)
    assert (payment.amount, payment.currency) == (Decimal("20"), str(reseller.currency))
    assert re.fullmatch(r"CP[A-Z2-7]{12}", payment.reference)
    assert payment.recharge is None and payment.provider_payment_id == ""
    event = AuditEvent.objects.get(action="customer_payment.opened")
    assert event.actor == customer.user and event.data["reference"] == payment.reference
    assert ledger_verify().clean


def test_references_are_random(shop):
    assert len({new_reference() for _ in range(200)}) == 200


@pytest.mark.parametrize("amount", ["7", "20.01", "0", "-20", "1000", "abc", "NaN"])
def test_amounts_not_offered_are_refused_with_the_offered_ones_named(shop, amount):
    _reseller, _paypal_account, customer = shop
    with pytest.raises(CustomerTopUpError) as refused:
        _open(customer, amount)
    assert refused.value.code == "amount-not-offered" and refused.value.field == "amount"
    with translation.override("en"):
        assert "€5.00, €10.00, €20.00, €50.00" in str(refused.value)
    assert not CustomerPayment.objects.exists()


def test_the_same_form_twice_opens_one_payment(shop):
    _reseller, _paypal_account, customer = shop
    key = uuid.uuid4().hex
    first = _open(customer, "20", key)
    again = _open(customer, "50", key)  # a double submit (even with another amount chosen)
    assert again.pk == first.pk and again.amount == Decimal("20")
    assert CustomerPayment.objects.count() == 1
    assert _open(customer, "20").pk != first.pk  # a new form is a new payment


def test_paypal_is_refused_when_the_reseller_has_not_enabled_it(shop):
    _reseller, paypal, customer = shop
    paypal.enabled = False
    paypal.save()
    with pytest.raises(CustomerTopUpError) as refused:
        _open(customer)
    assert refused.value.code == "provider-unavailable"
    paypal.delete()
    with pytest.raises(CustomerTopUpError):
        _open(customer)
    assert not CustomerPayment.objects.exists()


def test_a_suspended_customer_or_reseller_cannot_open_a_payment(shop):
    reseller, _paypal_account, customer = shop
    customer.status = customer.Status.SUSPENDED
    customer.save()
    with pytest.raises(CustomerTopUpError) as refused:
        _open(customer)
    assert refused.value.code == "customer-inactive"
    customer.status = customer.Status.ACTIVE
    customer.save()
    reseller.status = reseller.Status.SUSPENDED
    reseller.save()
    with pytest.raises(CustomerTopUpError) as refused:
        _open(customer)
    assert refused.value.code == "provider-unavailable"


# --- The pages --------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each <form>'s action, method and fields (name, value) in document order."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "method": attrs.get("method")})
            self.forms[-1]["fields"] = []
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].append((attrs["name"], attrs.get("value", "")))


def _forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def test_the_top_up_page_offers_the_amounts_and_paypal(shop):
    _reseller, _paypal_account, customer = shop
    answer = _client(customer).get(reverse("payments:customer-topup"))
    assert answer.status_code == 200
    html = answer.content.decode()
    amounts = [value for name, value in _forms(html)[-1]["fields"] if name == "amount"]
    assert amounts == ["5.00", "10.00", "20.00", "50.00"]
    assert 'data-testid="topup-paypal"' in html
    home = _client(customer).get(reverse("customers:portal")).content.decode()
    assert reverse("payments:customer-topup") in home


def test_paypal_is_hidden_when_the_reseller_has_not_enabled_it(shop):
    _reseller, paypal, customer = shop
    paypal.enabled = False
    paypal.save()
    client = _client(customer)
    html = client.get(reverse("payments:customer-topup")).content.decode()
    assert 'data-testid="topup-paypal"' not in html and 'data-testid="topup-none"' in html
    assert reverse("payments:customer-topup") not in client.get("/my/").content.decode()
    answer = client.post(
        reverse("payments:customer-topup"), {"amount": "20.00", "form_key": str(uuid.uuid4())}
    )
    assert answer.status_code == 400
    assert not CustomerPayment.objects.exists()


def test_posting_the_form_opens_one_payment_and_leads_to_paypal(shop):
    _reseller, _paypal_account, customer = shop
    client = _client(customer)
    data = {"amount": "20.00", "form_key": str(uuid.uuid4())}
    first = client.post(reverse("payments:customer-topup"), data)
    second = client.post(reverse("payments:customer-topup"), data)  # the double submit
    payment = CustomerPayment.objects.get()
    paypal_page = reverse("payments:customer-topup-paypal", args=[payment.reference])
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == paypal_page
    assert payment.amount == Decimal("20") and payment.customer == customer


def test_an_amount_not_offered_is_shown_on_the_form(shop):
    _reseller, _paypal_account, customer = shop
    answer = _client(customer).post(
        reverse("payments:customer-topup"), {"amount": "7.00", "form_key": str(uuid.uuid4())}
    )
    assert answer.status_code == 400
    assert 'data-testid="topup-amount-error"' in answer.content.decode()
    assert not CustomerPayment.objects.exists()


def test_the_paypal_page_posts_exactly_the_payments_standard_form(shop, settings):
    _reseller, paypal, customer = shop
    settings.PAYPAL_STANDARD_URL = "https://www.sandbox.paypal.com/cgi-bin/webscr"
    payment = _open(customer, "20")
    answer = _client(customer).get(
        reverse("payments:customer-topup-paypal", args=[payment.reference])
    )
    assert answer.status_code == 200
    (form,) = [f for f in _forms(answer.content.decode()) if "paypal" in (f["action"] or "")]
    assert form["action"] == "https://www.sandbox.paypal.com/cgi-bin/webscr"
    assert form["method"] == "post"
    status = f"http://testserver/my/top-up/{payment.reference}/"
    with translation.override("de"):  # the customer's language
        item_name = gettext("Credit for %(phone)s") % {"phone": "+4917012345678"}
    assert form["fields"] == [
        ("cmd", "_xclick"),
        ("business", paypal.receiver_email),
        ("item_name", item_name),
        ("amount", "20.00"),
        ("currency_code", "EUR"),
        ("invoice", payment.reference),
        ("custom", str(customer.pk)),
        ("notify_url", f"http://testserver/ipn/paypal/{paypal.notify_token}/"),
        ("return", status),
        ("cancel_return", "http://testserver/my/top-up/"),
        ("charset", "utf-8"),
        ("no_shipping", "1"),
        ("no_note", "1"),
        ("lc", "DE"),
    ]
    assert reverse("payments:paypal-ipn", args=[paypal.notify_token]) == (
        f"/ipn/paypal/{paypal.notify_token}/"
    )
    # The page may send its form to PayPal (CSP form-action), and runs no inline script.
    csp = answer["Content-Security-Policy"]
    form_action = re.search(r"form-action ([^;]+)", csp).group(1).split()
    assert "'self'" in form_action and "https://www.sandbox.paypal.com" in form_action
    assert "<script>" not in answer.content.decode()


def test_the_status_page_says_where_the_payment_is(shop):
    _reseller, _paypal_account, customer = shop
    payment = _open(customer, "20")
    client = _client(customer)
    url = reverse("payments:customer-topup-status", args=[payment.reference])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-status="created"' in html and "hx-trigger=" in html  # polls until final
    poll = client.get(url + "?poll=1", HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "<html" not in poll.content.decode()
    CustomerPayment.objects.filter(pk=payment.pk).update(status=Status.CREDITED)
    html = client.get(url).content.decode()
    assert 'data-status="credited"' in html and "hx-trigger=" not in html
    # Once paid, the PayPal page only leads back to the status.
    paypal_page = reverse("payments:customer-topup-paypal", args=[payment.reference])
    assert client.get(paypal_page)["Location"] == url


def test_another_customers_reference_is_not_found(shop):
    reseller, _paypal_account, customer = shop
    payment = _open(customer, "20")
    neighbour = CustomerUserFactory(reseller=reseller)
    elsewhere = CustomerUserFactory(reseller=ResellerFactory())
    for other in (neighbour, elsewhere):
        client = _client(other)
        for name in ("payments:customer-topup-status", "payments:customer-topup-paypal"):
            assert client.get(reverse(name, args=[payment.reference])).status_code == 404
    assert (
        _client(customer)
        .get(reverse("payments:customer-topup-status", args=[payment.reference]))
        .status_code
        == 200
    )


def test_the_resellers_team_and_staff_are_refused(shop):
    reseller, _paypal_account, customer = shop
    payment = _open(customer, "20")
    people = [
        MembershipFactory(reseller=reseller, role=role).user
        for role in (Role.ADMIN, Role.USER, Role.ACCOUNTANT)
    ] + [StaffFactory()]
    urls = [
        reverse("payments:customer-topup"),
        reverse("payments:customer-topup-status", args=[payment.reference]),
        reverse("payments:customer-topup-paypal", args=[payment.reference]),
    ]
    for person in people:
        client = Client()
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 403, (person, url)
        answer = client.post(urls[0], {"amount": "20.00", "form_key": str(uuid.uuid4())})
        assert answer.status_code == 403
    assert CustomerPayment.objects.count() == 1
    anonymous = Client().get(urls[1])
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_pages_make_a_bounded_number_of_queries(shop, django_assert_max_num_queries):
    _reseller, _paypal_account, customer = shop
    payment = _open(customer, "20")
    client = _client(customer)
    for url in (
        reverse("payments:customer-topup"),
        reverse("payments:customer-topup-paypal", args=[payment.reference]),
        reverse("payments:customer-topup-status", args=[payment.reference]),
        reverse("customers:portal"),
    ):
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200
