"""Which language a page is in: the person's setting, then the switcher's choice, then the
reseller's language on its own hostname, then the browser's Accept-Language, then English."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from resellers.models import ResellerHostname

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
BRANDED = "shop.tenant-a.test"


def _language(answer) -> str:
    assert answer.status_code == 200, answer.status_code
    return answer["Content-Language"]


@pytest.fixture
def branded(world):
    world.a.reseller.language = "pl"
    world.a.reseller.save(update_fields=["language"])
    return ResellerHostname.objects.create(
        reseller=world.a.reseller, hostname=BRANDED, status=ResellerHostname.Status.ACTIVE
    )


def test_the_browser_decides_for_a_visitor(client):
    assert _language(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")) == "fr"
    assert _language(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="xx")) == "en"
    page = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert '<html lang="pl"' in page


def test_the_switcher_beats_the_browser(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert _language(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr")) == "de"


def test_a_resellers_host_speaks_the_resellers_language_unless_chosen_otherwise(
    world, client, branded
):
    assert _language(client.get(LOGIN, HTTP_HOST=BRANDED, HTTP_ACCEPT_LANGUAGE="fr")) == "pl"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert _language(client.get(LOGIN, HTTP_HOST=BRANDED, HTTP_ACCEPT_LANGUAGE="fr")) == "de"


def test_the_persons_setting_beats_everything(world, branded):
    client = world.client_for("admin")
    User.objects.filter(pk=world.a.admin.pk).update(language="fr")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = reverse("resellers:dashboard")
    assert _language(client.get(page, HTTP_HOST=BRANDED, HTTP_ACCEPT_LANGUAGE="pl")) == "fr"


def test_the_switcher_saves_the_signed_in_persons_setting(world):
    client = world.client_for("user")
    answer = client.post(reverse("set_language"), {"language": "pl", "next": "/r/"})
    assert answer.status_code == 302 and answer["Location"] == "/r/"
    world.a.user.refresh_from_db()
    assert world.a.user.language == "pl"
    # A new session elsewhere (no cookie) is in the person's language.
    other = world.client_for("user")
    assert _language(other.get(reverse("resellers:dashboard"), HTTP_ACCEPT_LANGUAGE="en")) == "pl"


def test_the_switcher_refuses_a_language_we_do_not_speak(world):
    client = world.client_for("user")
    client.post(reverse("set_language"), {"language": "xx", "next": "/r/"})
    world.a.user.refresh_from_db()
    assert world.a.user.language == ""


def test_an_end_customer_sees_their_own_language(world):
    customer = world.a.customer
    customer.language = "de"
    customer.save(update_fields=["language"])
    client = world.client_for("customer")
    assert _language(client.get(reverse("customers:portal"), HTTP_ACCEPT_LANGUAGE="fr")) == "de"
