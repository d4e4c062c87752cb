"""Friendly error pages, Django's admin behind MFA, the front door."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_unknown_page_is_a_friendly_404(world):
    answer = world.client_for("admin").get("/no/such/page/")
    assert answer.status_code == 404
    page = answer.content.decode()
    assert 'data-testid="error-404"' in page and "Back to the start" in page
    assert "Tenant A" in page  # the layout and navigation still show


def test_refused_page_is_a_friendly_403(world):
    answer = world.client_for("user").get(reverse("accounts:member-list"))
    assert answer.status_code == 403
    assert 'data-testid="error-403"' in answer.content.decode()


def test_server_error_is_a_friendly_500(world, settings):
    settings.ROOT_URLCONF = "tests.config.failing_urls"
    client = Client(raise_request_exception=False)
    answer = client.get("/boom/")
    assert answer.status_code == 500
    assert 'data-testid="error-500"' in answer.content.decode()


def test_admin_needs_staff_with_mfa(world):
    assert world.client_for("staff").get("/django-admin/").status_code == 200
    for role in ("staff_no_mfa", "admin"):
        answer = world.client_for(role).get("/django-admin/")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/django-admin/login/")
    login = Client().get("/django-admin/login/")
    assert login.headers["Location"].startswith(reverse("account_login"))


def test_pages_switch_language(world):
    client = world.client_for("admin")
    client.post(reverse("set_language"), {"language": "de", "next": "/r/"})
    assert client.get(reverse("resellers:dashboard")).headers["Content-Language"] == "de"
