"""Tenant isolation: every URL that names an object, opened by another tenant, is a 404/403."""

import pytest

from tests.tenancy.harness import isolation_failures, our_routes
from tests.tenancy.registry import OBJECT_URLS

ID_ROUTES = [route for route in our_routes() if route.params]


def test_every_url_taking_an_id_is_registered():
    missing = [r.name for r in ID_ROUTES if r.name not in OBJECT_URLS]
    assert not missing, f"register these in tests/tenancy/registry.py: {missing}"
    assert ID_ROUTES, "the URL walk found no route with parameters"


def test_registry_names_only_existing_routes():
    names = {r.name for r in ID_ROUTES}
    assert not set(OBJECT_URLS) - names


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: r.name)
def test_another_tenant_cannot_open_the_object(world, route):
    assert isolation_failures(world, route, OBJECT_URLS) == []


def test_tenant_switch_to_a_reseller_one_is_not_a_member_of_is_404(world):
    client = world.client_for("admin", world.a)
    answer = client.post("/tenant/switch/", {"reseller": world.b.reseller.pk})
    assert answer.status_code == 404
    assert client.session.get("tessera.reseller_id") is None
