"""The Add funds page: amount and method, the review of net/VAT/gross, and the trip to the
provider; bad input gets a specific error and opens nothing."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from payments.models import TopUp
from tests.factories import MembershipFactory
from tests.payments.helpers import german_reseller, polish_vies_reseller

pytestmark = pytest.mark.django_db
ADD = reverse("payments:add-funds")


def _admin_client(reseller, role=Role.ADMIN) -> Client:
    client = Client()
    client.force_login(MembershipFactory(reseller=reseller, role=role).user)
    return client


def _form(**changes):
    data = {
        "amount": "100.00",
        "method": "stripe",
        "currency": "EUR",
        "form_key": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def test_review_shows_net_vat_and_gross_and_opens_nothing(stripe_portal):
    client = _admin_client(german_reseller())
    page = client.post(ADD, {**_form(), "step": "review"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "€119.00" in text and "€19.00" in text and "€100.00" in text
    assert not TopUp.objects.exists()


def test_pay_sends_the_payer_to_the_checkout_once_for_a_form_sent_twice(stripe_portal):
    reseller = german_reseller()
    client = _admin_client(reseller)
    form = _form()
    first = client.post(ADD, {**form, "step": "pay"})
    second = client.post(ADD, {**form, "step": "pay"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert first["Location"].startswith(stripe_portal.server.base_url)
    assert TopUp.objects.filter(reseller=reseller).count() == 1
    assert len(stripe_portal.fake.sessions) == 1


def test_bank_transfer_shows_the_details_and_the_proforma(stripe_portal):
    reseller = polish_vies_reseller()
    client = _admin_client(reseller)
    page = client.post(ADD, {**_form(amount="250", method="bank"), "step": "pay"}, follow=True)
    topup = TopUp.objects.get(reseller=reseller)
    assert (topup.gross, topup.vat, topup.status) == (250, 0, TopUp.Status.PENDING)
    text = page.content.decode()
    assert "DE89 3704 0044 0532 0130 00" in text
    assert topup.reference[:4] in text and "<svg" in text  # the EPC QR code
    pdf = client.get(reverse("payments:topup-proforma", args=[topup.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "5"}, "The least you can add is"),
        ({"amount": "1e3"}, "digits 0–9"),
        ({"amount": "100.001"}, "at most two decimals"),
        ({"currency": "USD"}, "kept in EUR"),
        ({"method": "bitcoin"}, "Select a valid choice"),
        ({"form_key": "not-a-key"}, "reload the page"),
    ],
)
def test_bad_input_is_refused_with_a_specific_message(stripe_portal, changes, message):
    client = _admin_client(german_reseller())
    page = client.post(ADD, {**_form(**changes), "step": "pay"})
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not TopUp.objects.exists()


def test_accountant_sees_payments_but_cannot_pay(stripe_portal):
    reseller = german_reseller()
    accountant = _admin_client(reseller, role=Role.ACCOUNTANT)
    assert accountant.get(reverse("payments:topup-list")).status_code == 200
    assert accountant.get(ADD).status_code == 403
    assert accountant.post(ADD, {**_form(), "step": "pay"}).status_code == 403
    assert not TopUp.objects.exists()


def test_a_sub_reseller_is_sent_to_its_parent_for_credit(stripe_portal):
    from tests.factories import SubResellerFactory

    child = SubResellerFactory(parent=german_reseller())
    client = _admin_client(child)
    page = client.get(ADD)
    assert 'data-testid="sub-reseller-funding"' in page.content.decode()
    refused = client.post(ADD, {**_form(), "step": "pay"})
    assert refused.status_code == 400 and child.parent.name in refused.content.decode()
    assert not TopUp.objects.exists()


def test_going_back_to_an_expired_checkout_says_so(stripe_portal):
    from tests.payments.portal import open_topup

    reseller = german_reseller()
    client = _admin_client(reseller)
    topup = open_topup(reseller, method="stripe")
    stripe_portal.fake.expire(topup.provider_payment_id)
    answer = client.post(reverse("payments:topup-pay", args=[topup.pk]), follow=True)
    assert "expired" in answer.content.decode()
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.EXPIRED
    other = open_topup(reseller, method="stripe")
    again = client.post(reverse("payments:topup-pay", args=[other.pk]))
    assert again.status_code == 302 and again["Location"] == other.checkout_url
