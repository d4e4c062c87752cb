"""Links the portal sends, and who signs in on a reseller's own hostname (issue 11, point 1).

A request's Host header is written by the client: account e-mails (reset, verification,
invitation) and the welcome SMS link to settings.PORTAL_ORIGIN, or to a reseller's own active
hostname only for the people who belong to that reseller. Anybody else is sent from a
reseller's hostname to the canonical origin to sign in.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from customers.services import customer_credentials_reset
from resellers.models import ResellerHostname
from sms.models import Message
from tests.factories import PASSWORD, CustomerUserFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://portal.example.test"
BRANDED = "shop.tenant-a.test"
LOGIN = reverse("account_login")
RESET = reverse("account_reset_password")


@pytest.fixture(autouse=True)
def _origin(settings):
    settings.PORTAL_ORIGIN = ORIGIN
    settings.SITE_NAME = "Tessera"


@pytest.fixture
def branded(world):
    """Tenant A's own hostname, active."""
    return ResellerHostname.objects.create(
        reseller=world.a.reseller, hostname=BRANDED, status=ResellerHostname.Status.ACTIVE
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _links(message) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", message.body)


def _reset(client, email, host, committed):
    with committed():
        answer = client.post(RESET, {"email": email}, HTTP_HOST=host)
    assert answer.status_code == 302, answer.content.decode()[:500]
    assert len(mail.outbox) == 1
    return mail.outbox[0]


# --- Password reset ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other tenant's admin", "operator staff"])
def test_a_reset_asked_on_a_resellers_host_for_an_outsider_links_to_the_canonical_origin(
    world, client, branded, committed, who
):
    person = world.b.admin if who == "other tenant's admin" else world.staff
    message = _reset(client, person.email, BRANDED, committed)
    links = _links(message)
    assert links, message.body
    assert all(link.startswith(ORIGIN + "/") for link in links), links
    assert BRANDED not in message.body
    assert any("/accounts/password/reset/key/" in link for link in links)


def test_a_reset_asked_on_a_forged_operator_host_links_to_the_canonical_origin(
    world, client, committed
):
    message = _reset(client, world.a.admin.email, "127.0.0.1", committed)
    assert all(link.startswith(ORIGIN + "/") for link in _links(message)), message.body
    assert "127.0.0.1" not in message.body


def test_a_reset_asked_on_its_resellers_host_by_a_member_stays_on_that_host(
    world, client, branded, committed
):
    message = _reset(client, world.a.admin.email, BRANDED, committed)
    links = [link for link in _links(message) if "/reset/key/" in link]
    assert links and links[0].startswith(f"http://{BRANDED}/"), message.body
    # Signed with the reseller's name there, not the operator's.
    assert "Hello from Tenant A!" in message.body
    assert message.subject.startswith("[Tenant A] ")


def test_account_e_mails_name_the_site(world, client, committed):
    message = _reset(client, world.a.admin.email, "localhost", committed)
    assert "Hello from Tessera!" in message.body
    assert "Thank you for using Tessera!" in message.body
    assert "portal.example.test" in message.body
    assert "Hello from !" not in message.body and "using !" not in message.body
    assert message.subject.startswith("[Tessera] ")


def test_a_reset_for_an_unknown_address_links_to_the_canonical_origin(
    world, client, branded, committed
):
    message = _reset(client, "nobody@example.test", BRANDED, committed)
    assert BRANDED not in message.body
    assert all(link.startswith(ORIGIN + "/") for link in _links(message)), message.body


# --- E-mail verification and invitations -------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", ORIGIN), (BRANDED, f"http://{BRANDED}")],
    ids=["operator host", "own reseller host"],
)
def test_a_verification_mail_links_to_the_origin_or_the_members_own_host(
    world, branded, committed, host, expected
):
    client = world.client_for("admin")
    with committed():
        answer = client.post(
            reverse("account_email"),
            {"email": f"second-{host}@tenant-a.test", "action_add": ""},
            HTTP_HOST=host,
        )
    assert answer.status_code == 302, answer.content.decode()[:500]
    assert mail.outbox, answer["Location"]
    links = [link for link in _links(mail.outbox[-1]) if "/confirm-email/" in link]
    assert links and links[0].startswith(expected + "/"), mail.outbox[-1].body


def test_an_invitation_sent_from_a_resellers_host_links_to_the_canonical_origin(
    world, branded, committed
):
    client = world.client_for("admin")
    with committed():
        answer = client.post(
            reverse("accounts:member-invite"),
            {"email": "new.person@example.test", "role": Role.USER},
            HTTP_HOST=BRANDED,
        )
    assert answer.status_code == 302
    links = _links(mail.outbox[0])
    assert links and all(link.startswith(ORIGIN + "/invitation/") for link in links), links


# --- Signing in on a reseller's own hostname --------------------------------------------------


@pytest.mark.parametrize("who", ["other tenant's admin", "operator staff"])
def test_outsiders_are_sent_to_the_canonical_origin_to_sign_in(world, client, branded, who):
    person = world.b.admin if who == "other tenant's admin" else world.staff_no_mfa
    answer = client.post(LOGIN, {"login": person.email, "password": PASSWORD}, HTTP_HOST=BRANDED)
    # A page with a link, not a redirect: a browser refuses a cross-origin redirect after a
    # form's POST (CSP form-action 'self').
    assert answer.status_code == 403
    link = f'href="{ORIGIN}{LOGIN}?elsewhere=1"'
    assert 'data-testid="sign-in-elsewhere"' in answer.content.decode()
    assert link in answer.content.decode()
    assert "_auth_user_id" not in client.session
    page = client.get(f"{LOGIN}?elsewhere=1", HTTP_HOST="localhost")
    assert 'data-testid="sent-from-reseller-host"' in page.content.decode()


def test_the_resellers_own_people_sign_in_on_its_host(world, client, branded):
    for person, login in (
        (world.a.admin, world.a.admin.email),
        (world.a.customer.user, world.a.customer.phone),
    ):
        client.logout()
        answer = client.post(LOGIN, {"login": login, "password": PASSWORD}, HTTP_HOST=BRANDED)
        assert answer.status_code == 302, answer.content.decode()[:800]
        assert not answer["Location"].startswith("http"), answer["Location"]
        assert client.session["_auth_user_id"] == str(person.pk)


@pytest.mark.parametrize("role", ["staff", "b-admin", "b-customer"])
def test_a_session_of_an_outsider_on_a_resellers_host_is_ended(world, branded, role):
    person = {
        "staff": world.staff,
        "b-admin": world.b.admin,
        "b-customer": world.b.customer.user,
    }[role]
    client = Client()
    client.force_login(person)
    answer = client.get(reverse("dashboard"), HTTP_HOST=BRANDED)
    assert answer.status_code == 302
    assert answer["Location"] == f"{ORIGIN}{LOGIN}?elsewhere=1"
    assert "_auth_user_id" not in client.session
    # On the canonical host the same person is not affected.
    client.force_login(person)
    assert client.get(reverse("dashboard"), HTTP_HOST="localhost").status_code in (200, 302)
    assert "_auth_user_id" in client.session


def test_a_former_member_is_signed_out_of_the_resellers_host(world, branded):
    client = world.client_for("user")
    assert client.get(reverse("resellers:dashboard"), HTTP_HOST=BRANDED).status_code == 200
    world.a.user.memberships.update(is_active=False)
    answer = client.get(reverse("resellers:dashboard"), HTTP_HOST=BRANDED)
    assert answer.status_code == 302 and answer["Location"].startswith(ORIGIN)


def test_nobody_signs_up_on_a_resellers_host(world, client, branded):
    answer = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.test",
            "password1": "a-long-pass-42x",
            "password2": "a-long-pass-42x",
        },
        HTTP_HOST=BRANDED,
    )
    assert answer.status_code == 200
    assert "Sign Up Closed" in answer.content.decode()
    assert not EmailAddress.objects.filter(email="new@example.test").exists()


# --- The sign-in page a customer sees -------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "path"),
    [(BRANDED, LOGIN), ("localhost", f"{LOGIN}?next=/my/")],
    ids=["reseller host", "on the way to the customer portal"],
)
def test_customers_sign_in_page_offers_no_sign_up_and_no_reseller_application(
    world, client, branded, host, path
):
    page = client.get(path, HTTP_HOST=host).content.decode()
    assert reverse("account_signup") not in page
    assert 'data-testid="become-reseller"' not in page
    assert "Become a reseller" not in page


def test_the_operators_sign_in_page_offers_sign_up_and_the_application(world, client):
    page = client.get(LOGIN, HTTP_HOST="localhost").content.decode()
    assert reverse("account_signup") in page
    assert 'data-testid="become-reseller"' in page


def test_the_sms_link_leads_to_a_customers_sign_in(world, client):
    """The welcome SMS links to /my/; signed out, that is the sign-in page for customers."""
    answer = client.get(reverse("customers:portal"), HTTP_HOST="localhost", follow=True)
    page = answer.content.decode()
    assert answer.redirect_chain and "next=/my/" in answer.redirect_chain[-1][0]
    assert "Become a reseller" not in page and reverse("account_signup") not in page


# --- The welcome SMS --------------------------------------------------------------------------


def _welcome_link(customer) -> str:
    message = Message.objects.filter(customer=customer).latest("id")
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def test_the_welcome_sms_links_to_the_canonical_portal(world, settings):
    settings.PORTAL_ORIGIN = "http://127.0.0.1:8123"
    customer = world.a.customer
    customer_credentials_reset(
        reseller=world.a.reseller, actor=world.a.admin, customer_id=customer.pk
    )
    assert _welcome_link(customer) == "http://127.0.0.1:8123/my/"


def test_the_welcome_sms_links_to_the_resellers_own_host_when_it_has_one(world, branded):
    customer = CustomerUserFactory(reseller=world.a.reseller)
    customer_credentials_reset(
        reseller=world.a.reseller, actor=world.a.admin, customer_id=customer.pk
    )
    assert _welcome_link(customer) == f"https://{BRANDED}/my/"
    other = world.b.customer
    customer_credentials_reset(reseller=world.b.reseller, actor=world.b.admin, customer_id=other.pk)
    assert _welcome_link(other) == f"{ORIGIN}/my/"
