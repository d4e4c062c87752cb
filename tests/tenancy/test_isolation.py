"""Tenant isolation: every URL that names an object, opened by another tenant, is a 404/403."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from ledger.models import LedgerTransaction
from payments.models import Method, PaymentEvent, TopUp
from payments.services.topups import topup_create
from tests.tenancy.harness import isolation_failures, our_routes
from tests.tenancy.registry import OBJECT_URLS

# The staff refund goes to the provider: Stripe's settings point at its loopback fake.
pytestmark = pytest.mark.usefixtures("stripe_at_the_fake")

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


# The payer's pages, by who may use them on their own top-ups (tests/tenancy/test_role_matrix).
TOPUP_PAGES = {
    "payments:topup-detail": ("get", {"admin", "accountant"}),
    "payments:topup-proforma": ("get", {"admin", "accountant"}),
    "payments:topup-return": ("get", {"admin"}),
    "payments:topup-cancel": ("get", {"admin"}),
    "payments:topup-pay": ("post", {"admin"}),
}


def _payments_state():
    return (
        list(TopUp.objects.order_by("pk").values()),
        PaymentEvent.objects.count(),
        LedgerTransaction.objects.count(),
        AuditEvent.objects.count(),
    )


def test_another_tenants_top_ups_are_not_found_and_stay_as_they_were(world, stripe_at_the_fake):
    """Tenant B's Admin and Accountant try each of tenant A's top-ups (paid card, open bank
    transfer, open card payment) on every payer's page: 404 where their role may use the page
    on their own top-ups, 403 where it may not (the Accountant never pays); nothing changes,
    and nobody asks the provider anything."""
    open_card = topup_create(
        reseller=world.a.reseller,
        actor=world.a.admin,
        net="30.00",
        method=Method.STRIPE,
        form_key="4f2a7a5e-0d3c-4d6b-9c61-0a0c3c6e8b21",
    )
    topups = [world.a.card_topup, world.a.bank_topup, open_card]
    before = _payments_state()
    failures = []
    for role in ("admin", "accountant"):
        client = world.client_for(role, world.b)
        for name, (method, allowed) in TOPUP_PAGES.items():
            want = 404 if role in allowed else 403
            for topup in topups:
                url = reverse(name, kwargs={"pk": topup.pk})
                answer = client.post(url) if method == "post" else client.get(url)
                if answer.status_code != want:
                    failures.append(
                        f"{method.upper()} {url} ({topup.method}, {topup.status}) as tenant "
                        f"B's {role}: {answer.status_code}, expected {want}"
                    )
    assert not failures, "\n".join(failures)
    assert _payments_state() == before
    assert stripe_at_the_fake.requests == []
    # The same pages work for tenant A's own Admin (so the 404s above are not broken pages).
    own = world.client_for("admin", world.a)
    assert own.get(reverse("payments:topup-detail", args=[open_card.pk])).status_code == 200
    assert own.post(reverse("payments:topup-pay", args=[open_card.pk])).status_code == 302
    assert stripe_at_the_fake.requests, "paying an open card top-up goes to the provider"
