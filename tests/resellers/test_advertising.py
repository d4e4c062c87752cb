"""Advertising material requests: the reseller asks, staff move them on, both see the status."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from resellers.models import AdvertisingRequest
from resellers.services import advertising
from tests.factories import AdvertisingRequestFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "recipient": "Acme Mobile GmbH",
    "address_line": "Hauptstraße 5",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
}


def _create(world, **overrides):
    values = {"kind": "leaflet", "quantity": 500, **ADDRESS, "note": "German please", **overrides}
    return advertising.advertising_request_create(
        reseller=world.a.reseller, actor=world.a.user, **values
    )


# --- Services -----------------------------------------------------------------------------------


def test_a_request_is_created_and_audited(world):
    item = _create(world, quantity=25)
    assert (item.status, item.reseller, item.requested_by) == (
        "requested",
        world.a.reseller,
        world.a.user,
    )
    event = AuditEvent.objects.get(action="advertising.requested")
    assert event.object_id == str(item.pk) and event.data == {"kind": "leaflet", "quantity": 25}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"quantity": 24}, "quantity", "Order between 25 and 5000 leaflets."),
        ({"quantity": 5001}, "quantity", "Order between 25 and 5000 leaflets."),
        ({"kind": "poster", "quantity": 0}, "quantity", "Order between 1 and 100 posters."),
        ({"kind": "poster", "quantity": 101}, "quantity", "Order between 1 and 100 posters."),
        ({"quantity": None}, "quantity", "Order between"),
        ({"kind": "banner"}, "kind", "Choose leaflets or posters."),
        ({"city": "  "}, "city", "This field cannot be blank."),
        ({"country": "XX"}, "country", "is not a valid choice"),
        ({"note": "x" * 501}, "note", "at most 500 characters"),
    ],
)
def test_bad_requests_say_what_is_wrong_and_create_nothing(world, overrides, field, message):
    before = AdvertisingRequest.objects.count()
    with pytest.raises(ValidationError) as caught:
        _create(world, **overrides)
    assert message in " ".join(caught.value.message_dict[field])
    assert AdvertisingRequest.objects.count() == before


def _set(world, item, status, note=""):
    return advertising.advertising_request_set_status(
        request_id=item.pk, actor=world.staff, status=status, note=note
    )


def test_staff_move_a_request_to_production_and_ship_it(world):
    item = _create(world)
    _set(world, item, "in_production")
    shipped = _set(world, item, "shipped", "DHL 00340434161094042557")
    assert shipped.status == "shipped" and shipped.status_note.startswith("DHL")
    assert list(
        AuditEvent.objects.filter(action="advertising.status_changed")
        .order_by("id")
        .values_list("data__to", flat=True)
    ) == ["in_production", "shipped"]


@pytest.mark.parametrize(
    ("path", "status", "note", "message"),
    [
        ([], "shipped", "", "cannot become “Shipped”"),
        (["in_production", "shipped"], "rejected", "late", "cannot become “Rejected”"),
        (["rejected:no stock"], "in_production", "", "cannot become “In production”"),
        ([], "rejected", "  ", "reason for the rejection"),
        ([], "lost", "", "Choose a valid status"),
        ([], "in_production", "x" * 301, "at most 300 characters"),
    ],
)
def test_steps_that_are_not_allowed_change_nothing(world, path, status, note, message):
    item = _create(world)
    for step in path:
        new, _sep, reason = step.partition(":")
        _set(world, item, new, reason)
    item.refresh_from_db()
    before = (item.status, item.status_note)
    with pytest.raises(advertising.AdvertisingStateError, match=message):
        _set(world, item, status, note)
    item.refresh_from_db()
    assert (item.status, item.status_note) == before


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
