"""The customer portal: sign-in by mobile number, the forced password change, balance,
history and profile."""

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.services import customer_credentials_reset, customer_recharge
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PHONE = "+491791234567"


@pytest.fixture
def customer(world):
    """A customer registered by a sale: its password is the one "sent by SMS"."""
    customer = world.a.customer
    customer.phone = PHONE
    customer.language = "en"  # the portal speaks the customer's language; these read English
    customer.save()
    customer.user.set_password(PASSWORD)
    customer.user.save()
    customer_recharge(
        reseller=world.a.reseller,
        actor=world.a.user,
        phone=PHONE,
        amount="20",
        idempotency_key="portal",
    )
    return customer


@pytest.mark.parametrize("login", ["491791234567", "+49 179 1234567", "0049 179 1234567"])
def test_a_customer_signs_in_with_the_phone_in_each_format(client, customer, login):
    answer = client.post(LOGIN, {"login": login, "password": PASSWORD})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert client.get(reverse("customers:portal")).status_code == 200


def test_a_wrong_password_or_unknown_number_is_refused_without_saying_which(client, customer):
    for login, password in ((PHONE, "wrong-password-1"), ("+491797654321", PASSWORD)):
        answer = client.post(LOGIN, {"login": login, "password": password})
        assert answer.status_code == 200
        assert "mobile number and/or password you specified are not correct" in (
            answer.content.decode()
        )
    assert client.get(reverse("customers:portal")).status_code == 302


def test_a_bad_number_at_sign_in_says_why(client, customer):
    answer = client.post(LOGIN, {"login": "+49 30 12345678", "password": PASSWORD})
    assert "not a mobile number" in answer.content.decode()


def test_resellers_still_sign_in_by_e_mail(client, world):
    answer = client.post(LOGIN, {"login": world.a.admin.email, "password": PASSWORD})
    assert answer.status_code == 302
    assert client.get(reverse("resellers:dashboard")).status_code == 200


def test_a_new_customer_must_change_the_password_before_anything_else(client, world):
    customer = world.a.customer
    customer.language = "en"
    customer.save(update_fields=["language"])
    customer_credentials_reset(
        reseller=world.a.reseller, actor=world.a.admin, customer_id=customer.pk
    )
    customer.refresh_from_db()
    customer.user.set_password("sent-by-sms-7Q")
    customer.user.save()
    answer = client.post(LOGIN, {"login": customer.phone, "password": "sent-by-sms-7Q"})
    assert answer.status_code == 302
    for name in ("customers:portal", "customers:portal-profile", "dashboard"):
        answer = client.get(reverse(name))
        assert answer.status_code == 302
        assert answer.headers["Location"] == reverse("customers:portal-password")
    page = client.get(reverse("customers:portal-password")).content.decode()
    assert 'data-testid="password-forced"' in page
    # Wrong current password, a mismatch, reusing the sent one, a weak one: all refused.
    url = reverse("customers:portal-password")
    cases = [
        ("nope", "Fresh-Pass-2025", "Fresh-Pass-2025", "current password is not correct"),
        ("sent-by-sms-7Q", "Fresh-Pass-2025", "Other-Pass-2025", "differ"),
        ("sent-by-sms-7Q", "sent-by-sms-7Q", "sent-by-sms-7Q", "other than the one sent"),
        ("sent-by-sms-7Q", "12345678901", "12345678901", "entirely numeric"),
    ]
    for old, new1, new2, message in cases:
        answer = client.post(
            url, {"old_password": old, "new_password1": new1, "new_password2": new2}
        )
        assert answer.status_code == 400 and message in answer.content.decode(), message
    customer.refresh_from_db()
    assert customer.password_change_required
    answer = client.post(
        url,
        {
            "old_password": "sent-by-sms-7Q",
            "new_password1": "Fresh-Pass-2025",
            "new_password2": "Fresh-Pass-2025",
        },
    )
    assert answer.status_code == 302 and answer.headers["Location"] == reverse("customers:portal")
    customer.refresh_from_db()
    assert not customer.password_change_required
    assert client.get(reverse("customers:portal")).status_code == 200  # still signed in
    client.logout()
    answer = client.post(LOGIN, {"login": customer.phone, "password": "Fresh-Pass-2025"})
    assert answer.status_code == 302


def test_the_portal_shows_balance_and_history(world, customer):
    client = world.client_for("customer")
    page = client.get(reverse("customers:portal")).content.decode()
    assert 'data-testid="portal-balance">€20.00<' in page
    assert "Recharge" in page and "20.00" in page


def test_the_profile_sets_the_language(world, customer):
    client = world.client_for("customer")
    url = reverse("customers:portal-profile")
    answer = client.post(url, {"name": "Jana", "language": "pl"})
    assert answer.status_code == 302
    customer.refresh_from_db()
    assert (customer.language, customer.name) == ("pl", "Jana")
    answer = client.post(url, {"name": "Jana", "language": "xx"})
    assert answer.status_code == 400 and "is-invalid" in answer.content.decode()
    customer.refresh_from_db()
    assert customer.language == "pl"


def test_portal_pages_stay_under_15_queries(world, customer, django_assert_max_num_queries):
    client = world.client_for("customer")
    for name in ("customers:portal", "customers:portal-profile", "customers:portal-password"):
        with django_assert_max_num_queries(15):
            assert client.get(reverse(name)).status_code == 200


def test_members_and_staff_are_not_customers(world):
    for role in ("admin", "staff"):
        answer = world.client_for(role).get(reverse("customers:portal-password"))
        assert answer.status_code == 403


def test_customers_are_kept_out_of_the_sales_panel(world, customer):
    client = world.client_for("customer")
    assert client.get(reverse("customers:recharge")).status_code == 403
    assert Customer.objects.get(pk=customer.pk).reseller == world.a.reseller
