"""Role matrix: each role × each page of ours → allowed or refused.

Roles: anonymous; an end customer of tenant A; the User, Accountant and Admin of tenant A;
operator staff with MFA; operator staff without MFA (sent to enrol). A page of ours missing
from MATRIX fails the suite; later issues add their pages here.
"""

import pytest

from tests.tenancy.harness import our_routes, role_failures
from tests.tenancy.registry import OBJECT_URLS
from tests.world import ROLES

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
MEMBERS = frozenset({"user", "accountant", "admin"})
SALES = frozenset({"user", "admin"})
ADMIN = frozenset({"admin"})
STAFF = frozenset({"staff"})
CUSTOMER = frozenset({"customer"})

MATRIX: dict[str, frozenset[str]] = {
    "home": SIGNED_IN,  # anonymous visitors are sent to sign in
    "healthz": EVERYONE,
    "dashboard": SIGNED_IN,
    "accounts:tenant-choose": SIGNED_IN,
    "accounts:tenant-switch": SIGNED_IN,
    "accounts:member-list": ADMIN,
    "resellers:dashboard": MEMBERS,
    "resellers:subreseller-list": ADMIN,
    "resellers:subreseller-detail": ADMIN,
    "customers:customer-list": SALES,
    "customers:customer-detail": SALES,
    "customers:portal": CUSTOMER,
    "resellers:staff-dashboard": STAFF,
    "resellers:staff-reseller-list": STAFF,
    "resellers:staff-reseller-detail": STAFF,
    "resellers:staff-reseller-suspend": STAFF,
    "resellers:staff-reseller-reactivate": STAFF,
    "resellers:staff-audit-list": STAFF,
    "ledger:staff-transaction-list": STAFF,
    "ledger:staff-transaction-detail": STAFF,
    "ledger:staff-transaction-reverse": STAFF,
    "ledger:staff-account-statement": STAFF,
    "customers:recharge": SALES,
    "customers:customer-credentials-reset": SALES,
    "customers:customer-suspend": SALES,
    "customers:customer-reactivate": SALES,
    "customers:portal-password": CUSTOMER,
    "customers:portal-profile": CUSTOMER,
    "sms:inbox": STAFF,  # and anyone signed in while DEBUG (tests/sms/test_views.py)
    "sms:message-detail": STAFF,
    "sms:message-resend": SALES,
}

# Pages that act on POST without naming an object in the URL: (method, data for the world).
ACTIONS = {
    # Switching to a reseller one is not a member of is a 404, tested in test_isolation.
    "accounts:tenant-switch": ("post", lambda w: {"reseller": w.a.reseller.pk}),
}

# tenant-switch as staff / customer: not members of tenant A, so the switch is a 404 — their
# "allowed" is checked against a reseller they belong to only. Exclude those combinations.
NOT_APPLICABLE = {
    ("accounts:tenant-switch", role) for role in ("customer", "staff", "staff_no_mfa")
}

ROUTES = our_routes()


def test_every_page_is_in_the_matrix():
    missing = [r.name for r in ROUTES if r.name not in MATRIX]
    assert not missing, f"add these pages to MATRIX in {__file__}: {missing}"
    assert not set(MATRIX) - {r.name for r in ROUTES}, "MATRIX names a page that is gone"


CASES = [
    (route, role)
    for route in ROUTES
    if route.name in MATRIX
    for role in ROLES
    if (route.name, role) not in NOT_APPLICABLE
]


@pytest.mark.parametrize(("route", "role"), CASES, ids=lambda v: getattr(v, "name", v))
def test_role_matrix(world, route, role):
    assert role_failures(world, route, role, MATRIX[route.name], OBJECT_URLS, ACTIONS) == []
