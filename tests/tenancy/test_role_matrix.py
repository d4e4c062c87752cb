"""Role matrix: each role × each page of ours → allowed or refused.

Roles: anonymous; an end customer of tenant A; the User, Accountant and Admin of tenant A;
operator staff with MFA; operator staff without MFA (sent to enrol). A page of ours missing
from MATRIX fails the suite; later issues add their pages here.

One test per page builds the two-tenant world once and opens the page as each role in turn,
each role's requests undone by a savepoint; it lists every role that got the wrong answer.

The providers' webhooks (ENDPOINTS) are no page: everyone may reach them, and they answer
everyone alike — 405 to a GET, 400 to a POST without a valid signature.
"""

import traceback

import pytest
from django.urls import reverse

from ledger.models import LedgerTransaction
from payments.models import PaymentEvent, PaypalIpn, TopUp
from tests.tenancy.harness import our_routes, role_failures, rolled_back
from tests.tenancy.headers import header_failures
from tests.tenancy.registry import OBJECT_URLS
from tests.world import ROLES

# The staff refund goes to the provider: Stripe's settings point at its loopback fake.
pytestmark = pytest.mark.usefixtures("stripe_at_the_fake")

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
MEMBERS = frozenset({"user", "accountant", "admin"})
SALES = frozenset({"user", "admin"})
ADMIN = frozenset({"admin"})
STAFF = frozenset({"staff"})
CUSTOMER = frozenset({"customer"})
FINANCE = frozenset({"admin", "accountant"})

MATRIX: dict[str, frozenset[str]] = {
    "home": SIGNED_IN,  # anonymous visitors are sent to sign in
    "healthz": EVERYONE,
    "set_language": EVERYONE,  # the language switcher (a signed-in person's setting too)
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
    # Staff only in every configuration (test_sms_pages_in_every_configuration below).
    "sms:inbox": STAFF,
    "sms:message-detail": STAFF,
    "sms:message-resend": SALES,
    "resellers:apply": EVERYONE,
    "resellers:terms": EVERYONE,
    "resellers:application": MEMBERS,
    "resellers:application-vat-id": ADMIN,
    "resellers:application-terms-accept": ADMIN,
    "resellers:staff-application-list": STAFF,
    "resellers:staff-application-detail": STAFF,
    "resellers:staff-application-approve": STAFF,
    "resellers:staff-application-reject": STAFF,
    "resellers:staff-application-vies-recheck": STAFF,
    "resellers:staff-terms-list": STAFF,
    # Sub-users (issue 4, point 5).
    "accounts:member-invite": ADMIN,
    "accounts:member-role": ADMIN,
    "accounts:member-deactivate": ADMIN,
    "accounts:member-reactivate": ADMIN,
    "accounts:invitation-revoke": ADMIN,
    "accounts:invitation-resend": ADMIN,
    # Public link; the registry's invitation is addressed to tenant A's Admin, so any other
    # signed-in person is refused (403) and an anonymous visitor is asked to sign in first.
    "accounts:invitation-accept": frozenset({"anonymous", "admin"}),
    # Sub-resellers and credit transfers (issue 4, point 6).
    "customers:account-list": FINANCE,
    "resellers:subreseller-create": ADMIN,
    "resellers:subreseller-credit": ADMIN,
    "resellers:subreseller-commission": ADMIN,
    "resellers:staff-reseller-policy": STAFF,
    "resellers:staff-reseller-credit": STAFF,
    "resellers:staff-reseller-commission": STAFF,
    "resellers:branding": ADMIN,
    "resellers:hostname-request": ADMIN,
    "resellers:hostname-check": ADMIN,
    "resellers:hostname-activate": ADMIN,
    "resellers:hostname-remove": ADMIN,
    "resellers:advertising-list": SALES,
    "resellers:advertising-create": SALES,
    "resellers:advertising-detail": SALES,
    "resellers:staff-advertising-list": STAFF,
    "resellers:staff-advertising-detail": STAFF,
    "resellers:staff-advertising-status": STAFF,
    "ledger:cashbook": MEMBERS,
    "ledger:cashbook-export": MEMBERS,
    "ledger:commission-transfer": ADMIN,
    # Payments (issue 13): the Accountant sees, only the Admin pays; applicants may pay.
    "payments:add-funds": ADMIN,
    "payments:quote": ADMIN,
    "payments:topup-pay": ADMIN,
    "payments:topup-return": ADMIN,
    "payments:topup-cancel": ADMIN,
    "payments:topup-list": FINANCE,
    "payments:topup-detail": FINANCE,
    "payments:topup-proforma": FINANCE,
    "payments:staff-topup-list": STAFF,
    # The customer's card top-up (issue 15) and the card payments staff must look at.
    "payments:customer-topup-card": CUSTOMER,
    "payments:staff-customer-card-list": STAFF,
    "payments:staff-topup-detail": STAFF,
    "payments:staff-topup-refund": STAFF,
    "payments:staff-refund-retry": STAFF,
    "payments:staff-reconciliation": STAFF,
    "payments:staff-statements": STAFF,
    "payments:staff-statement-detail": STAFF,
    "payments:staff-statement-queue": STAFF,
    "payments:staff-statement-line": STAFF,
    "payments:staff-statement-line-assign": STAFF,
    "payments:staff-statement-line-dismiss": STAFF,
    # Commission payouts (issue 15): the Accountant reads, only the Admin asks; staff decide.
    "payments:payout-list": FINANCE,
    "payments:payout-request": ADMIN,
    "payments:payout-detail": FINANCE,
    "payments:staff-payout-list": STAFF,
    "payments:staff-payout-detail": STAFF,
    "payments:staff-payout-approve": STAFF,
    "payments:staff-payout-reject": STAFF,
    "payments:staff-payout-export": STAFF,
    "payments:staff-payout-batch-list": STAFF,
    "payments:staff-payout-batch-detail": STAFF,
    "payments:staff-payout-batch-download": STAFF,
    "payments:staff-payout-batch-confirm": STAFF,
    # Invoices (issue "Invoices"): who sees the payments sees the invoices that document them.
    "billing:invoice-list": FINANCE,
    "billing:invoice-detail": FINANCE,
    "billing:invoice-pdf": FINANCE,
    "billing:invoice-xml": FINANCE,
    "billing:export-list": FINANCE,
    "billing:export-detail": FINANCE,
    "billing:export-download": FINANCE,
    "billing:staff-invoice-list": STAFF,
    "billing:staff-invoice-detail": STAFF,
    "billing:staff-invoice-pdf": STAFF,
    "billing:staff-invoice-render": STAFF,
    "billing:staff-invoice-xml": STAFF,
    "billing:staff-export-list": STAFF,
    "billing:staff-export-detail": STAFF,
    "billing:staff-export-download": STAFF,
    # The customer portal's top-up (issue 15): the customer's own payments only.
    "payments:customer-topup": CUSTOMER,
    "payments:customer-topup-status": CUSTOMER,
    "payments:customer-topup-paypal": CUSTOMER,
    # Public, POST only, signed by the provider: see ENDPOINTS.
    "payments:webhook-stripe": EVERYONE,
    "payments:webhook-paypal": EVERYONE,
    # Customers' own PayPal (issue 15): the reseller's pages for who sees its payments; only
    # the Admin changes the account (the Accountant reads it) or credits waiting payments.
    "payments:paypal-settings": FINANCE,
    "payments:customer-payment-list": FINANCE,
    "payments:customer-payment-detail": FINANCE,
    "payments:customer-payments-fund": ADMIN,
    "payments:paypal-ipn-list": FINANCE,
    "payments:paypal-ipn-detail": FINANCE,
    "payments:staff-customer-payment-list": STAFF,
    "payments:staff-customer-payment-detail": STAFF,
    "payments:staff-paypal-ipn-list": STAFF,
    "payments:staff-paypal-ipn-detail": STAFF,
    # PayPal's IPN address, named by the reseller's token: see ENDPOINTS.
    "payments:paypal-ipn": EVERYONE,
}

# Endpoints for machines, not pages: what each answers to everybody, whoever is signed in.
ENDPOINTS = {
    "payments:webhook-stripe": {"get": 405, "unsigned post": 400},
    "payments:webhook-paypal": {"get": 405, "unsigned post": 400},
    # An IPN carries no signature: it is kept and answered 200 at once, and verified by the
    # postback later (tests/payments/test_paypal_ipn_process.py).
    "payments:paypal-ipn": {"get": 405, "unsigned post": 200},
}
WEBHOOKS = ("payments:webhook-stripe", "payments:webhook-paypal")
# Files to download, not pages to read.
DOWNLOADS = frozenset(
    {
        "ledger:cashbook-export",
        "payments:topup-proforma",
        "billing:invoice-pdf",
        "billing:invoice-xml",
        "billing:export-download",
        "billing:staff-invoice-pdf",
        "billing:staff-invoice-xml",
        "billing:staff-export-download",
        "payments:staff-payout-batch-download",
    }
)
# htmx answers: a piece of the page that asked (its texts are read; it is no document).
FRAGMENTS = frozenset({"payments:quote"})

# Pages that act on POST without naming an object in the URL: (method, data for the world).
ACTIONS = {
    "set_language": ("post", lambda w: {"language": "de", "next": "/"}),
    # Switching to a reseller one is not a member of is a 404, tested in test_isolation.
    "accounts:tenant-switch": ("post", lambda w: {"reseller": w.a.reseller.pk}),
    "resellers:application-vat-id": ("post", lambda w: {"vat_id": w.a.reseller.vat_id}),
    "resellers:application-terms-accept": ("post", lambda w: {"version": "1"}),
    "accounts:member-invite": ("post", lambda w: {"email": "new@example.test", "role": "user"}),
    "payments:customer-payments-fund": ("post", lambda w: {}),
    # Hostname actions answer with a redirect and a message (none is set up in the world).
    "resellers:hostname-request": ("post", lambda w: {"hostname": ""}),
    "resellers:hostname-check": ("post", lambda w: {}),
    "resellers:hostname-activate": ("post", lambda w: {}),
    "resellers:hostname-remove": ("post", lambda w: {}),
    # Builds the SEPA file of every approved payout (the world has none waiting: a message).
    "payments:staff-payout-export": ("post", lambda w: {}),
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


ROLES_BY_ROUTE = {
    route: [role for role in ROLES if (route.name, role) not in NOT_APPLICABLE]
    for route in ROUTES
    if route.name in MATRIX and route.name not in ENDPOINTS
}


@pytest.mark.parametrize("route", list(ROLES_BY_ROUTE), ids=lambda route: route.name)
def test_role_matrix(world, route):
    failures = []
    for role in ROLES_BY_ROUTE[route]:
        try:
            with rolled_back():
                failures += role_failures(
                    world, route, role, MATRIX[route.name], OBJECT_URLS, ACTIONS
                )
        except Exception:
            failures.append(f"{route.name} as {role} raised:\n{traceback.format_exc()}")
    assert not failures, "\n".join(failures)


SMS_ROUTES = [route for route in ROLES_BY_ROUTE if route.name.startswith("sms:")]


@pytest.mark.parametrize("route", SMS_ROUTES, ids=lambda route: route.name)
def test_sms_pages_in_every_configuration(world, route, settings):
    """The inbox holds every tenant's messages: it used to open to anyone signed in while
    DEBUG. Now the same roles as above, with DEBUG on or off and any SMS backend."""
    failures = []
    for debug in (False, True):
        for backend in ("database", "console", "http"):
            settings.DEBUG, settings.SMS_BACKEND = debug, backend
            for role in ROLES_BY_ROUTE[route]:
                with rolled_back():
                    failures += [
                        f"DEBUG={debug} SMS_BACKEND={backend}: {failure}"
                        for failure in role_failures(
                            world, route, role, MATRIX[route.name], OBJECT_URLS, ACTIONS
                        )
                    ]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", WEBHOOKS)
def test_webhooks_answer_everyone_alike(world, name):
    """GET is not allowed; a POST without the provider's signature is refused (and kept for
    staff as a rejected event) and credits nothing, whoever sends it."""
    url = reverse(name)
    # A body each provider would act on, were it signed.
    body = '{"id": "evt_walk", "type": "checkout.session.completed", "event_type": "X"}'
    paid = {t.pk: (t.status, t.updated_at) for t in TopUp.objects.all()}
    transactions = LedgerTransaction.objects.count()
    failures = []
    for role in ROLES:
        client = world.client_for(role)
        answers = {
            "get": client.get(url),
            "unsigned post": client.post(url, body, content_type="application/json"),
        }
        for how, answer in answers.items():
            where = f"{name}: {how.upper()} {url} as {role}"
            failures += header_failures(answer, signed_in=role != "anonymous", where=where)
            if answer.status_code != ENDPOINTS[name][how]:
                failures.append(f"{where}: {answer.status_code}, expected {ENDPOINTS[name][how]}")
    assert not failures, "\n".join(failures)
    assert {t.pk: (t.status, t.updated_at) for t in TopUp.objects.all()} == paid
    assert LedgerTransaction.objects.count() == transactions
    rejected = PaymentEvent.objects.filter(outcome=PaymentEvent.Outcome.REJECTED, topup=None)
    assert rejected.count() == len(ROLES)


def test_the_paypal_ipn_address_answers_everyone_alike(world):
    """GET is not allowed; whatever is posted to a reseller's IPN address is kept and answered
    200 at once (verified later, by the postback), whoever sends it; a token that names no
    reseller is a 404 and keeps nothing. Nothing is credited."""
    name = "payments:paypal-ipn"
    url = reverse(name, args=[world.a.reseller.paypal_account.notify_token])
    unknown = reverse(name, args=["no-such-token"])
    body = '{"id": "evt_walk", "type": "checkout.session.completed", "event_type": "X"}'
    kept = PaypalIpn.objects.count()
    transactions = LedgerTransaction.objects.count()
    failures = []
    for role in ROLES:
        client = world.client_for(role)
        answers = {
            "get": (client.get(url), ENDPOINTS[name]["get"]),
            "unsigned post": (
                client.post(url, body, content_type="application/json"),
                ENDPOINTS[name]["unsigned post"],
            ),
            "unknown token": (client.post(unknown, body, content_type="application/json"), 404),
        }
        for how, (answer, want) in answers.items():
            where = f"{name}: {how} as {role}"
            failures += header_failures(answer, signed_in=role != "anonymous", where=where)
            if answer.status_code != want:
                failures.append(f"{where}: {answer.status_code}, expected {want}")
    assert not failures, "\n".join(failures)
    assert PaypalIpn.objects.count() == kept + len(ROLES)
    assert LedgerTransaction.objects.count() == transactions
