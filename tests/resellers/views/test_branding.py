"""The branding page, the hostname actions, and the branded pages on a reseller's host."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import LedgerTransaction
from resellers.models import Branding, ResellerHostname
from tests.factories import PASSWORD
from tests.resellers.fake_dns import fake_dns  # noqa: F401 (fixture)
from tests.resellers.images import big_png, image_upload

pytestmark = pytest.mark.django_db

BRANDING = reverse("resellers:branding")
FORM = {
    "display_name": "Acme Mobile",
    "header_colour": "#0b5345",
    "background_colour": "#fdfefe",
    "text_colour": "#17202a",
}


def _admin(world):
    return world.client_for("admin")


def test_the_branding_page_shows_defaults_dns_steps_and_the_fee(
    world, django_assert_max_num_queries
):
    client = _admin(world)
    with django_assert_max_num_queries(15):
        page = client.get(BRANDING).content.decode()
    assert 'value="#1f3a5f"' in page and 'id="contrast-ratio">15.43<' in page
    assert "Ask for this host name" in page and "€10.00" in page


def test_saving_branding_with_a_logo(world):
    client = _admin(world)
    answer = client.post(BRANDING, {**FORM, "logo": image_upload()}, follow=True)
    page = answer.content.decode()
    assert "Your branding is saved." in page and 'data-testid="current-logo"' in page
    branding = Branding.objects.get(reseller=world.a.reseller)
    assert branding.display_name == "Acme Mobile" and branding.logo


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"logo": "not-an-image"}, "not an image we can read"),
        ({"logo": "too-big"}, "it may be at most 512 KB"),
        ({"logo": "svg"}, "not an image we can read"),
        ({"header_colour": "blue"}, "use the form #rrggbb"),
        ({"text_colour": "#12345"}, "use the form #rrggbb"),
    ],
)
def test_bad_branding_input_shows_the_error_and_saves_nothing(world, data, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {
        "not-an-image": SimpleUploadedFile("logo.png", b"hello", content_type="image/png"),
        "too-big": big_png(512 * 1024),
        "svg": SimpleUploadedFile("l.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    }
    if "logo" in data:
        data = {"logo": files[data["logo"]]}
    answer = _admin(world).post(BRANDING, {**FORM, **data})
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Branding.objects.exists()


def test_poor_contrast_is_refused_with_the_ratio_on_the_text_colour(world):
    answer = _admin(world).post(
        BRANDING, {**FORM, "background_colour": "#ffffff", "text_colour": "#cccccc"}
    )
    page = answer.content.decode()
    assert "contrast of only 1.61:1" in page and "Your branding is saved." not in page
    assert 'id="id_text_colour_error"' in page
    assert 'aria-describedby="id_text_colour_error"' in page and 'aria-invalid="true"' in page
    assert not Branding.objects.exists()


def test_branding_saved_before_the_check_is_drawn_readable_and_the_page_says_so(world, client):
    Branding.objects.create(
        reseller=world.a.reseller,
        header_colour="#f4d03f",
        background_colour="#f4f6f6",
        text_colour="#b2babb",
    )
    ResellerHostname.objects.create(reseller=world.a.reseller, hostname=HOST, status="active")
    page = client.get(reverse("account_login"), HTTP_HOST=HOST).content.decode()
    assert "--bs-body-color: #212529" in page and "#b2babb" not in page
    assert "--bs-navbar-color: #000000" in page  # black reads on yellow
    page = _admin(world).get(BRANDING).content.decode()
    assert 'id="contrast-ratio">1.82<' in page and 'data-testid="contrast-fallback"' in page


def test_hostname_journey_on_the_page(world, fake_dns):  # noqa: F811
    client = _admin(world)
    answer = client.post(
        reverse("resellers:hostname-request"), {"hostname": "portal.acme.test"}, follow=True
    )
    page = answer.content.decode()
    assert "Now create the A record for portal.acme.test" in page
    assert "203.0.113.10" in page and "203.0.113.11" in page  # the A records to create
    assert "Your sales credit: €100.00." in page

    check = reverse("resellers:hostname-check")
    page = client.post(check, follow=True).content.decode()
    assert "does not resolve yet" in page
    fake_dns["portal.acme.test"] = ["198.51.100.7"]
    page = client.post(check, follow=True).content.decode()
    assert "points to 198.51.100.7, which is not the portal" in page
    fake_dns["portal.acme.test"] = ["203.0.113.10"]
    page = client.post(check, follow=True).content.decode()
    assert "points to the portal" in page and "Activate for €10.00" in page

    activate = reverse("resellers:hostname-activate")
    page = client.post(activate, follow=True).content.decode()
    assert "portal.acme.test is active" in page
    client.post(activate, follow=True)
    assert LedgerTransaction.objects.filter(kind="fee").count() == 1
    assert ResellerHostname.objects.get().status == "active"


def test_hostname_errors_are_messages(world, fake_dns, settings):  # noqa: F811
    ResellerHostname.objects.create(reseller=world.b.reseller, hostname="taken.example.com")
    client = _admin(world)
    url = reverse("resellers:hostname-request")
    page = client.post(url, {"hostname": "taken.example.com"}, follow=True).content.decode()
    assert "taken.example.com is already used by another reseller." in page
    page = client.post(url, {"hostname": "http://x.example.com/"}, follow=True).content.decode()
    assert "without http://" in page
    page = client.post(url, {"hostname": ""}, follow=True).content.decode()
    assert "Enter a host name" in page
    assert not ResellerHostname.objects.filter(reseller=world.a.reseller).exists()

    client.post(url, {"hostname": "portal.acme.test"})
    page = client.post(reverse("resellers:hostname-activate"), follow=True).content.decode()
    assert "not verified yet: check its DNS first" in page
    settings.HOSTNAME_FEE = Decimal("500.00")
    fake_dns["portal.acme.test"] = ["203.0.113.10"]
    client.post(reverse("resellers:hostname-check"))
    page = client.post(reverse("resellers:hostname-activate"), follow=True).content.decode()
    assert "Not enough sales credit for the hostname fee: €500.00 needed" in page
    assert ResellerHostname.objects.get(reseller=world.a.reseller).status == "verified"

    page = client.post(reverse("resellers:hostname-remove"), follow=True).content.decode()
    assert "The host name is removed." in page
    page = client.post(reverse("resellers:hostname-remove"), follow=True).content.decode()
    assert "There is no host name to remove." in page


def test_only_the_admin_changes_branding(world):
    for role in ("user", "accountant"):
        answer = world.client_for(role).post(BRANDING, FORM)
        assert answer.status_code == 403
    assert not Branding.objects.exists()


# --- Pages on the reseller's own host -----------------------------------------------------------

HOST = "portal.acme.test"


@pytest.fixture
def branded(world):
    Branding.objects.create(
        reseller=world.a.reseller,
        display_name="Acme Mobile",
        header_colour="#0b5345",
        background_colour="#fdfefe",
        text_colour="#17202a",
    )
    ResellerHostname.objects.create(reseller=world.a.reseller, hostname=HOST, status="active")
    return world


def test_the_login_page_on_a_verified_host_is_branded(
    branded, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        answer = client.get(reverse("account_login"), HTTP_HOST=HOST)
    page = answer.content.decode()
    assert answer.status_code == 200
    assert 'data-testid="brand-name">Acme Mobile<' in page
    assert " · Acme Mobile</title>" in page
    assert "--bs-body-bg: #fdfefe" in page and "background: #0b5345" in page
    assert "--bs-navbar-color: #ffffff" in page  # white reads best on dark green


def test_the_same_login_page_elsewhere_is_not_branded(branded, client):
    page = client.get(reverse("account_login")).content.decode()
    assert "Acme Mobile" not in page and "#0b5345" not in page


def test_a_customer_signs_in_on_the_resellers_host_and_sees_its_branding(
    branded, client, django_assert_max_num_queries
):
    answer = client.post(
        reverse("account_login"),
        {"login": branded.a.customer.user.email, "password": PASSWORD},
        HTTP_HOST=HOST,
        follow=True,
    )
    assert answer.status_code == 200
    with django_assert_max_num_queries(15):
        page = client.get(reverse("customers:portal"), HTTP_HOST=HOST).content.decode()
    assert 'data-testid="brand-name">Acme Mobile<' in page
    # In the customer's own language (German, from the mobile number).
    assert '<html lang="de"' in page and "Mein Konto · Acme Mobile" in page


def test_a_customer_signs_in_with_the_phone_on_the_resellers_host(branded, client):
    """The customer portal's phone sign-in works on the reseller's own host, branded."""
    customer = branded.a.customer
    digits = customer.phone.lstrip("+")  # the no-plus international form, as typed at a shop
    answer = client.post(
        reverse("account_login"),
        {"login": digits, "password": PASSWORD},
        HTTP_HOST=HOST,
        follow=True,
    )
    assert answer.status_code == 200
    assert answer.wsgi_request.user == customer.user
    assert answer.redirect_chain[-1][0].endswith(reverse("customers:portal"))
    assert 'data-testid="brand-name">Acme Mobile<' in answer.content.decode()


def test_an_unknown_host_is_400(branded, client):
    assert client.get(reverse("account_login"), HTTP_HOST="portal.other.test").status_code == 400
    assert client.get("/healthz", HTTP_HOST="portal.other.test").status_code == 400
