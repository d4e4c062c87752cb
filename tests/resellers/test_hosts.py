"""resellers.hosts: hostname validation, the default resolver, and which hosts are answered."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from resellers.hosts import hostname_normalize, resolve_ipv4
from resellers.models import ResellerHostname


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("portal.acme.test", "portal.acme.test"),
        ("  Portal.ACME.test.  ", "portal.acme.test"),
        ("xn--mnchen-3ya.example", "xn--mnchen-3ya.example"),
        ("münchen.example", "xn--mnchen-3ya.example"),
        ("a-b.c-d.example.com", "a-b.c-d.example.com"),
    ],
)
def test_good_hostnames_are_normalized(value, expected):
    assert hostname_normalize(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter a host name"),
        ("https://portal.acme.test/", "without http://"),
        ("portal.acme.test:8443", "without http://"),
        ("portal.acme.test/login", "without http://"),
        ("user@portal.acme.test", "without http://"),
        ("203.0.113.10", "not an IP address"),
        ("portal", "full host name with its domain"),
        ("portal..acme.test", "empty parts"),
        ("-portal.acme.test", "is not allowed in a host name"),
        ("portal-.acme.test", "is not allowed in a host name"),
        ("por_tal.acme.test", "is not allowed in a host name"),
        ("portal.acme.123", "cannot be a number"),
        ("a" * 64 + ".example.com", "at most 63 characters"),
        (("a" * 60 + ".") * 5 + "com", "at most 253 characters"),
        ("shop.localhost", "public host name"),
        ("localhost", "full host name"),
        ("testserver.local", "public host name"),
    ],
)
def test_bad_hostnames_say_what_is_wrong(value, message):
    with pytest.raises(ValidationError, match=message):
        hostname_normalize(value)


def test_the_portals_own_hosts_cannot_be_claimed(settings):
    settings.ALLOWED_HOSTS = ["portal.example.com", ".tessera.example"]
    for name in ("portal.example.com", "acme.tessera.example", "tessera.example"):
        with pytest.raises(ValidationError, match="belongs to the portal itself"):
            hostname_normalize(name)
    assert hostname_normalize("portal.example.org") == "portal.example.org"


def test_the_default_resolver_asks_the_system():
    assert resolve_ipv4("localhost") == ["127.0.0.1"]
    assert resolve_ipv4("nothing-here.invalid") == []


# --- Which hosts the portal answers -------------------------------------------------------------


def _activate(reseller, name: str) -> ResellerHostname:
    return ResellerHostname.objects.create(
        reseller=reseller, hostname=name, status=ResellerHostname.Status.ACTIVE
    )


def test_an_unknown_host_is_refused_as_django_does(world, client):
    answer = client.get(reverse("account_login"), HTTP_HOST="evil.example.com")
    assert answer.status_code == 400


@pytest.mark.parametrize("status", ["pending", "verified"])
def test_a_hostname_that_is_not_active_is_refused(world, client, status):
    ResellerHostname.objects.create(
        reseller=world.a.reseller, hostname="portal.acme.test", status=status
    )
    answer = client.get(reverse("account_login"), HTTP_HOST="portal.acme.test")
    assert answer.status_code == 400


def test_the_operators_hosts_answer_unbranded(world, client):
    _activate(world.a.reseller, "portal.acme.test")
    page = client.get(reverse("account_login"), HTTP_HOST="localhost").content.decode()
    assert "Tessera" in page and "Tenant A" not in page


def test_an_active_hostname_answers_with_a_port_and_in_any_case(world, client):
    _activate(world.a.reseller, "portal.acme.test")
    for host in ("portal.acme.test", "PORTAL.acme.test:8000", "portal.acme.test."):
        answer = client.get(reverse("account_login"), HTTP_HOST=host)
        assert answer.status_code == 200, host
        assert 'data-testid="brand-name">Tenant A<' in answer.content.decode()


def test_a_catch_all_allowed_hosts_still_brands_reseller_hosts(world, client, settings):
    settings.ALLOWED_HOSTS = ["*"]
    _activate(world.a.reseller, "portal.acme.test")
    assert client.get(reverse("account_login"), HTTP_HOST="other.example").status_code == 200
    page = client.get(reverse("account_login"), HTTP_HOST="portal.acme.test").content.decode()
    assert 'data-testid="brand-name">Tenant A<' in page


def test_a_post_on_a_reseller_host_passes_the_csrf_origin_check(world, settings):
    """Signing in on the reseller's host: CSRF compares Origin with request.get_host()."""
    from django.test import Client

    _activate(world.a.reseller, "portal.acme.test")
    client = Client(enforce_csrf_checks=True)
    login = reverse("account_login")
    client.get(login, HTTP_HOST="portal.acme.test")
    token = client.cookies["csrftoken"].value
    answer = client.post(
        login,
        {"login": world.a.customer.user.email, "password": "correct-horse-battery-9"},
        HTTP_HOST="portal.acme.test",
        HTTP_ORIGIN="http://portal.acme.test",
        HTTP_X_CSRFTOKEN=token,
    )
    assert answer.status_code == 302
    assert client.get(reverse("customers:portal"), HTTP_HOST="portal.acme.test").status_code == 200
    # The same Origin against the operator's host is a cross-site post, and refused.
    answer = client.post(login, {}, HTTP_HOST="localhost", HTTP_ORIGIN="http://portal.acme.test")
    assert answer.status_code == 403
