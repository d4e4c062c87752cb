"""Advertising material pages: the reseller asks and follows the request, staff work through it."""

import pytest
from django.urls import reverse

from resellers.models import AdvertisingRequest
from tests.factories import AdvertisingRequestFactory
from tests.resellers.services.test_advertising import ADDRESS, _create, _set

pytestmark = pytest.mark.django_db


# --- Reseller pages -----------------------------------------------------------------------------


def test_a_user_asks_for_posters_and_sees_the_request(world, django_assert_max_num_queries):
    client = world.client_for("user")
    url = reverse("resellers:advertising-create")
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
    answer = client.post(url, {"kind": "poster", "quantity": 10, **ADDRESS}, follow=True)
    item = AdvertisingRequest.objects.get(kind="poster")
    page = answer.content.decode()
    assert f"Request #{item.pk} is sent" in page and "Requested" in page
    assert item.requested_by == world.a.user
    with django_assert_max_num_queries(15):
        page = client.get(reverse("resellers:advertising-list")).content.decode()
    assert f"#{item.pk}" in page and "Posters" in page


def test_the_form_shows_errors_and_creates_nothing(world):
    client = world.client_for("admin")
    url = reverse("resellers:advertising-create")
    page = client.post(url, {"kind": "poster", "quantity": 500, **ADDRESS}).content.decode()
    assert "Order between 1 and 100 posters." in page
    page = client.post(url, {"kind": "leaflet", "quantity": "many", **ADDRESS}).content.decode()
    assert "Enter a whole number." in page
    page = client.post(url, {"kind": "leaflet", "quantity": 100}).content.decode()
    assert "This field is required." in page
    assert AdvertisingRequest.objects.count() == 2  # the two of the world


def test_the_reseller_sees_status_updates_and_the_reason(world):
    item = _create(world)
    _set(world, item, "rejected", "Posters only this month")
    client = world.client_for("admin")
    with_url = reverse("resellers:advertising-detail", kwargs={"pk": item.pk})
    page = client.get(with_url).content.decode()
    assert "Rejected" in page and "Posters only this month" in page
    page = client.get(reverse("resellers:advertising-list")).content.decode()
    assert "Posters only this month" in page


def test_another_tenants_request_is_404(world):
    other = AdvertisingRequestFactory(reseller=world.b.reseller)
    url = reverse("resellers:advertising-detail", kwargs={"pk": other.pk})
    assert world.client_for("admin").get(url).status_code == 404
    page = world.client_for("admin").get(reverse("resellers:advertising-list")).content.decode()
    assert f"#{other.pk}<" not in page


def test_accountants_cannot_ask_for_material(world):
    client = world.client_for("accountant")
    url = reverse("resellers:advertising-create")
    assert client.post(url, {"kind": "poster", "quantity": 1, **ADDRESS}).status_code == 403


# --- Staff pages --------------------------------------------------------------------------------


def test_the_staff_queue_filters_by_status(world, django_assert_max_num_queries):
    shipped = _create(world, kind="poster", quantity=3)
    _set(world, shipped, "in_production")
    _set(world, shipped, "shipped")
    client = world.client_for("staff")
    url = reverse("resellers:staff-advertising-list")
    with django_assert_max_num_queries(15):
        page = client.get(url).content.decode()
    assert page.count("Tenant A") >= 2 and "Tenant B" in page
    page = client.get(url, {"status": "shipped"}).content.decode()
    assert f"#{shipped.pk}<" in page and f"#{world.a.advertising_request.pk}<" not in page
    page = client.get(url, {"status": "nonsense"}).content.decode()
    assert "Select a valid choice" in page and f"#{shipped.pk}<" not in page


def test_staff_set_the_status_from_the_detail_page(world, django_assert_max_num_queries):
    item = world.a.advertising_request
    client = world.client_for("staff")
    detail = reverse("resellers:staff-advertising-detail", kwargs={"pk": item.pk})
    with django_assert_max_num_queries(15):
        page = client.get(detail).content.decode()
    assert "In production" in page and "Rejected" in page
    url = reverse("resellers:staff-advertising-status", kwargs={"pk": item.pk})
    page = client.post(url, {"status": "rejected", "note": ""}, follow=True).content.decode()
    assert "Give the reseller a reason for the rejection." in page
    page = client.post(url, {"status": "shipped"}, follow=True).content.decode()
    assert "cannot become “Shipped”" in page
    page = client.post(url, {"status": "bogus"}, follow=True).content.decode()
    assert "Choose a valid status." in page
    page = client.post(url, {"status": "in_production", "note": "x" * 301}, follow=True)
    assert "The note has at most 300 characters." in page.content.decode()
    item.refresh_from_db()
    assert item.status == "requested"
    page = client.post(url, {"status": "in_production"}, follow=True).content.decode()
    assert f"Request #{item.pk} is now “In production”." in page
    item.refresh_from_db()
    assert item.status == "in_production"
