"""Application pages: apply, sign in at once, status, the refused Sales Panel, staff queue."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import account_balance
from ledger.services import OperatorAccount, ledger_post, reseller_account
from resellers.models import Reseller, TermsAcceptance, TermsDocument
from resellers.services.onboarding import reseller_apply, terms_publish
from tax.models import VatCheck
from tests.factories import ResellerFactory
from tests.resellers.services.test_onboarding import application

pytestmark = pytest.mark.django_db

FORM = {
    "legal_name": "Nordwind Telekom GmbH",
    "name": "Nordwind",
    "country": "DE",
    "address_line": "Hafenweg 2",
    "postal_code": "20457",
    "city": "Hamburg",
    "vat_id": "DE136695976",
    "tax_id": "",
    "phone": "040 1234567",
    "email": "anna@nordwind.example",
    "website": "nordwind.example",
    "contact_person": "Anna Berg",
    "currency": "EUR",
    "password1": "a-long-secret-passphrase-7",
    "password2": "a-long-secret-passphrase-7",
    "accept_terms": "on",
}


@pytest.fixture
def terms(world):
    return terms_publish(actor=world.staff, title="Reseller terms", body="1. Sell fairly.")


def _post(client: Client, terms: TermsDocument, **changes):
    data = {**FORM, "terms_version": terms.version, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("resellers:apply"), data)


def test_apply_signs_in_at_once_and_shows_the_status(
    terms, fake_vies, django_capture_on_commit_callbacks
):
    client = Client()
    page = client.get(reverse("resellers:apply")).content.decode()
    assert "1. Sell fairly." in page and 'name="terms_version"' in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(client, terms, HTTP_ACCEPT_LANGUAGE="de")
    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("resellers:application")
    reseller = Reseller.objects.get(legal_name="Nordwind Telekom GmbH")
    assert reseller.status == Reseller.Status.APPLIED
    assert reseller.website == "https://nordwind.example"
    assert reseller.contact_phone == "+49401234567"  # national number in the chosen country
    # A confirmation of the e-mail address went out; the applicant is signed in already.
    assert any("anna@nordwind.example" in m.to for m in mail.outbox)
    page = client.get(reverse("resellers:application")).content.decode()
    assert 'data-testid="application-pending"' in page
    assert "FAKE COMPANY GMBH" in page and "WAPI" in page  # VIES name, consultation number
    assert "Domestic VAT" in page
    assert "Confirm your e-mail address" in page
    # Signing in later goes straight to the application page.
    assert client.get(reverse("dashboard")).headers["Location"] == reverse("resellers:application")


def test_applicant_cannot_sell_until_approved(terms):
    client = Client()
    _post(client, terms)
    for name in (
        "resellers:dashboard",
        "customers:customer-list",
        "accounts:member-list",
        "resellers:subreseller-list",
    ):
        answer = client.get(reverse(name))
        assert answer.status_code == 403, name
        page = answer.content.decode()
        assert 'data-testid="reseller-pending"' in page
        assert "is not approved yet" in page
    # Not Sales Panel pages: the profile pages still work.
    assert client.get(reverse("account_email")).status_code == 200
    assert client.get(reverse("resellers:application")).status_code == 200


def _nav_labels(answer) -> list[str]:
    return [str(item["label"]) for s in answer.context["nav_sections"] for item in s["items"]]


# An applicant may pay before approval (held in `pending`, credited in full on approval).
APPLICANT_NAV = ["Company", "Add funds", "Payments", "Invoices"]


def test_applicant_navigation_offers_only_the_application_and_paying(terms, world):
    client = Client()
    _post(client, terms)
    assert _nav_labels(client.get(reverse("resellers:application"))) == APPLICANT_NAV
    # Also on the page that refuses a Sales Panel view.
    assert _nav_labels(client.get(reverse("customers:customer-list"))) == APPLICANT_NAV
    reseller = Reseller.objects.get(legal_name="Nordwind Telekom GmbH")
    reseller.status = Reseller.Status.APPROVED
    reseller.save(update_fields=["status"])
    labels = _nav_labels(client.get(reverse("resellers:application")))
    assert {"Dashboard", "Customers", "Users", "Company"} <= set(labels)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vat_id": "DE136695977"}, "check digit is wrong"),
        ({"country": "PL", "vat_id": "", "tax_id": "1234567890"}, "not a valid NIP (Poland)"),
        ({"phone": "12"}, "not a valid phone number"),
        ({"accept_terms": None}, "You must accept the reseller terms"),
        ({"password2": "something-else-entirely"}, "not the same"),
        ({"email": "admin-of-a@example.test"}, "already an account"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"legal_name": ""}, "This field is required"),
        ({"vat_id": "", "tax_id": ""}, "Give a VAT ID, a national tax ID"),
    ],
)
def test_bad_input_shows_the_reason_at_the_field_and_saves_nothing(terms, world, changes, message):
    if changes.get("email") == "admin-of-a@example.test":
        changes = {"email": world.a.admin.email.upper()}
    before = (Reseller.objects.count(), User.objects.count())
    answer = _post(Client(), terms, **changes)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert message in page
    assert 'data-testid="apply-errors"' in page
    assert (Reseller.objects.count(), User.objects.count()) == before


def test_terms_changed_while_applying(terms, world):
    terms_publish(actor=world.staff, title="Reseller terms", body="2. New rules.")
    answer = _post(Client(), terms)
    assert "were updated to version 2" in answer.content.decode()
    assert not Reseller.objects.filter(legal_name="Nordwind Telekom GmbH").exists()


def test_apply_without_terms_says_so(db):
    page = Client().get(reverse("resellers:apply")).content.decode()
    assert 'data-testid="apply-no-terms"' in page


def test_applicant_corrects_the_vat_id(terms, fake_vies, django_capture_on_commit_callbacks):
    client = Client()
    _post(client, terms)
    url = reverse("resellers:application-vat-id")
    answer = client.post(url, {"vat_id": "DE136695978"}, follow=True)
    assert "check digit is wrong" in answer.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {"vat_id": "DE811907980"}, follow=True)
    assert "VIES is asked about it" in answer.content.decode()
    reseller = Reseller.objects.get(legal_name="Nordwind Telekom GmbH")
    assert reseller.vat_id == "DE811907980"
    assert reseller.vat_check.status == VatCheck.Status.VALID


def _applicant(terms, **overrides) -> Reseller:
    return reseller_apply(**application(terms, **overrides))


def test_queue_shows_age_highlight_vies_and_treatment(world, terms, django_assert_max_num_queries):
    fresh = _applicant(terms, legal_name="Fresh GmbH", email="fresh@example.test")
    week = _applicant(
        terms,
        legal_name="Weekold Sp. z o.o.",
        email="week@example.test",
        country="PL",
        vat_id="PL5260250995",
        phone="+48581234567",
    )
    old = _applicant(
        terms, legal_name="Ancient AG", email="old@example.test", vat_id="", tax_id="181/815/08155"
    )
    Reseller.objects.filter(pk=week.pk).update(created_at=timezone.now() - timedelta(days=8))
    Reseller.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    VatCheck.objects.filter(reseller=week).update(status=VatCheck.Status.VALID)
    VatCheck.objects.filter(reseller=fresh).update(status=VatCheck.Status.UNAVAILABLE)
    client = world.client_for("staff")
    with django_assert_max_num_queries(15):
        answer = client.get(reverse("resellers:staff-application-list"))
    page = answer.content.decode()
    assert "Tenant A" not in page  # approved resellers are not in the open queue
    rows = {
        r.legal_name: page.split(f'data-testid="application-{r.pk}"')[1].split("</tr>")[0]
        for r in (fresh, week, old)
    }
    assert "text-bg-danger" in rows["Ancient AG"] and "overdue" in rows["Ancient AG"]
    assert "text-bg-warning" in rows["Weekold Sp. z o.o."]
    assert "text-bg-warning" not in rows["Fresh GmbH"]
    assert "Reverse charge" in rows["Weekold Sp. z o.o."] and "Valid" in rows["Weekold Sp. z o.o."]
    assert "VIES unavailable" in rows["Fresh GmbH"] and "Invalid" not in rows["Fresh GmbH"]
    assert "Domestic VAT" in rows["Fresh GmbH"]
    assert "none" in rows["Fresh GmbH"]  # documents
    # All statuses, and the search.
    page = client.get(reverse("resellers:staff-application-list"), {"status": ""}).content
    assert b"Tenant A" in page
    page = client.get(reverse("resellers:staff-application-list"), {"q": "weekold"}).content
    assert b"Weekold" in page and b"Fresh GmbH" not in page


def test_staff_detail_approve_releases_pending_money(
    world, terms, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    reseller = _applicant(terms)
    ledger_post(
        kind=LedgerTransaction.Kind.TOPUP,
        currency="EUR",
        legs=[
            (OperatorAccount(LedgerAccount.Kind.CLEARING_PAYPAL), "-40.00"),
            (reseller_account(reseller=reseller, kind=LedgerAccount.Kind.PENDING), "40.00"),
        ],
        idempotency_key=f"test-{uuid4()}",
        scope=f"reseller:{reseller.pk}",
        reseller=reseller,
    )
    client = world.client_for("staff")
    detail = reverse("resellers:staff-application-detail", kwargs={"pk": reseller.pk})
    with django_assert_max_num_queries(15):
        page = client.get(detail).content.decode()
    assert "Nordwind Telekom GmbH" in page and "Approve" in page
    assert "203.0.113.7" in page  # the IP of the terms acceptance
    # The applicant has not confirmed the e-mail address: the page warns, and approving
    # without ticking "Approve anyway" changes nothing.
    warnings = page.split('data-testid="approval-warnings"')[1].split("</div>")[0]
    assert "has not confirmed the e-mail address anna@nordwind.example" in warnings
    assert 'data-testid="approve-confirm"' in page
    approve = reverse("resellers:staff-application-approve", kwargs={"pk": reseller.pk})
    mail.outbox.clear()
    answer = client.post(approve, {"plan-rate": "7.5"}, follow=True)
    assert "Not approved: read the warnings" in answer.content.decode()
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPLIED and not mail.outbox
    # The warnings stay next to the plan the form keeps.
    assert 'data-testid="approval-warnings"' in answer.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(approve, {"confirm": "yes", "plan-rate": "7.5"}, follow=True)
    assert "is approved" in answer.content.decode()
    sales = reseller_account(reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT)
    assert str(account_balance(account=sales)) == "40.0000"
    assert [m.to for m in mail.outbox] == [["anna@nordwind.example"]]
    answer = client.post(approve, {"confirm": "yes", "plan-rate": "7.5"}, follow=True)
    assert "already decided" in answer.content.decode()
    assert LedgerTransaction.objects.filter(kind="approval_release").count() == 1
    # The applicant's Admin now reaches the Sales Panel.
    admin = User.objects.get(email="anna@nordwind.example")
    member = Client()
    member.force_login(admin)
    assert member.get(reverse("resellers:dashboard")).status_code == 200


def test_staff_reject_needs_a_reason(world, terms):
    reseller = _applicant(terms)
    client = world.client_for("staff")
    url = reverse("resellers:staff-application-reject", kwargs={"pk": reseller.pk})
    answer = client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason for the rejection" in answer.content.decode()
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPLIED
    answer = client.post(url, {"reason": "Company not found in the register"}, follow=True)
    assert "is rejected" in answer.content.decode()
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.REJECTED
    # The rejected applicant sees why, and nothing else.
    member = Client()
    member.force_login(User.objects.get(email="anna@nordwind.example"))
    page = member.get(reverse("resellers:application")).content.decode()
    assert '<html lang="de"' in page  # the language the applicant applied in
    assert "wurde nicht angenommen" in page and "Company not found in the register" in page


def test_staff_ask_vies_again(world, terms, fake_vies, django_capture_on_commit_callbacks):
    reseller = _applicant(terms)
    client = world.client_for("staff")
    url = reverse("resellers:staff-application-vies-recheck", kwargs={"pk": reseller.pk})
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, follow=True)
    assert "VIES is asked again" in answer.content.decode()
    reseller.refresh_from_db()
    assert reseller.vat_check.status == VatCheck.Status.VALID
    no_vat = ResellerFactory(status=Reseller.Status.APPLIED, vat_id="")
    url = reverse("resellers:staff-application-vies-recheck", kwargs={"pk": no_vat.pk})
    assert "no EU VAT ID" in client.post(url, follow=True).content.decode()


def test_staff_publish_terms(world, django_assert_max_num_queries):
    client = world.client_for("staff")
    url = reverse("resellers:staff-terms-list")
    answer = client.post(url, {"title": "Terms", "body": ""})
    assert answer.status_code == 200 and "This field is required" in answer.content.decode()
    assert not TermsDocument.objects.exists()
    answer = client.post(url, {"title": "Terms", "body": "Version one."}, follow=True)
    assert "Version 1 is published" in answer.content.decode()
    client.post(url, {"title": "Terms", "body": "Version two."})
    with django_assert_max_num_queries(15):
        page = client.get(url).content.decode()
    assert "Version two." in page
    assert TermsDocument.objects.get(version=1).body == "Version one."
    assert "Version two." in Client().get(reverse("resellers:terms")).content.decode()


def test_application_page_bounded_queries(terms, django_assert_max_num_queries):
    client = Client()
    _post(client, terms)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("resellers:application")).status_code == 200


def test_staff_reseller_detail_shows_the_vat_treatment(world):
    page = world.client_for("staff").get(
        reverse("resellers:staff-reseller-detail", kwargs={"pk": world.a.reseller.pk})
    )
    treatment = page.content.decode().split('data-testid="vat-treatment">')[1]
    assert treatment.startswith("Domestic VAT (19 %)")


def test_the_terms_acceptance_records_the_client_not_the_proxy(terms, fake_vies, settings):
    """Behind the TLS proxy REMOTE_ADDR is the proxy; the evidence names the client."""
    settings.TRUSTED_PROXY_COUNT = 1
    data = {**FORM, "terms_version": terms.version}
    Client().post(
        reverse("resellers:apply"),
        data,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23",
    )
    acceptance = TermsAcceptance.objects.get(reseller__legal_name=FORM["legal_name"])
    assert acceptance.ip_address == "198.51.100.23"


@pytest.mark.parametrize("outage", [VatCheck.Status.PENDING, VatCheck.Status.UNAVAILABLE])
def test_approval_warns_while_the_vat_check_has_no_answer(world, terms, outage):
    reseller = _applicant(terms)
    EmailAddress.objects.filter(email="anna@nordwind.example").update(verified=True)
    VatCheck.objects.filter(reseller=reseller).update(status=outage)
    client = world.client_for("staff")
    detail = reverse("resellers:staff-application-detail", kwargs={"pk": reseller.pk})
    page = client.get(detail).content.decode()
    warnings = page.split('data-testid="approval-warnings"')[1].split("</div>")[0]
    assert "The VAT ID check has no answer yet" in warnings and "e-mail" not in warnings
    approve = reverse("resellers:staff-application-approve", kwargs={"pk": reseller.pk})
    client.post(approve, {"plan-rate": "5"})
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPLIED
    # Once VIES answered and the address is confirmed, there is nothing to confirm.
    VatCheck.objects.filter(reseller=reseller).update(status=VatCheck.Status.VALID)
    page = client.get(detail).content.decode()
    assert 'data-testid="approval-warnings"' not in page and "approve-confirm" not in page
    client.post(approve, {"plan-rate": "5"})
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPROVED


def test_a_reseller_without_the_terms_is_asked_and_its_admin_accepts_them(world, terms):
    """A reseller the operator created never accepted the terms: the company page says so,
    the Admin accepts the version in force there, and staff see who still has to."""
    staff = world.client_for("staff")
    page = staff.get(reverse("resellers:staff-terms-list")).content.decode()
    assert "have not accepted version 1 yet" in page
    admin = world.client_for("admin")
    page = admin.get(reverse("resellers:application")).content.decode()
    assert 'data-testid="terms-pending"' in page and "Accept the terms" in page
    assert (
        "Accept the terms"
        not in world.client_for("user").get(reverse("resellers:application")).content.decode()
    )
    url = reverse("resellers:application-terms-accept")
    # A version other than the one in force (published meanwhile, or forged) is refused.
    admin.post(url, {"version": "7"})
    assert not TermsAcceptance.objects.filter(reseller=world.a.reseller).exists()
    answer = admin.post(url, {"version": "1"}, follow=True)
    assert "The terms are accepted." in answer.content.decode()
    assert 'data-testid="terms-pending"' not in answer.content.decode()
    acceptance = TermsAcceptance.objects.get(reseller=world.a.reseller)
    assert (acceptance.terms, acceptance.user) == (terms, world.a.admin)
    admin.post(url, {"version": "1"})  # twice: still one acceptance
    assert TermsAcceptance.objects.filter(reseller=world.a.reseller).count() == 1
