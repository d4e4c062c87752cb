"""Advertising material requests: the reseller asks, staff move them on, both see the status."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from resellers.models import AdvertisingRequest
from resellers.services import advertising

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
