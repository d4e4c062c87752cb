"""The isolation and role checks fail when a view forgets its tenant or its role check."""

import pytest

from tests.tenancy.harness import ObjectUrl, isolation_failures, our_routes, role_failures
from tests.tenancy.registry import OBJECT_URLS
from tests.tenancy.test_role_matrix import ACTIONS, ADMIN


@pytest.fixture
def planted(settings):
    settings.ROOT_URLCONF = "tests.tenancy.planted_urls"
    return {route.name: route for route in our_routes()}


def test_a_view_that_forgets_the_tenant_is_caught(world, planted):
    registry = {
        **OBJECT_URLS,
        "planted:leaky-customer": ObjectUrl(lambda w, t: {"pk": t.customer.pk}),
    }
    failures = isolation_failures(world, planted["planted:leaky-customer"], registry)
    assert len(failures) == 1
    assert "of another tenant answered 200" in failures[0]
    # The real customer page, under the same check, passes.
    assert isolation_failures(world, planted["customers:customer-detail"], registry) == []


def test_a_view_without_its_role_check_is_caught(world, planted):
    route = planted["planted:admin-settings"]
    failures = {
        role: role_failures(world, route, role, ADMIN, OBJECT_URLS, ACTIONS)
        for role in ("user", "accountant", "customer", "admin")
    }
    assert failures["admin"] == []
    for role in ("user", "accountant", "customer"):
        assert failures[role] == [
            f"planted:admin-settings: GET /planted/settings/ as {role}: allowed, expected refused"
        ]


def test_an_unregistered_url_with_an_id_is_caught(world, planted):
    failures = isolation_failures(world, planted["planted:unregistered"], OBJECT_URLS)
    assert failures == [
        "planted:unregistered takes ('pk',) but is not in tests/tenancy/registry.py"
    ]
