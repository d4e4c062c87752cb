"""Reseller and staff pages: blocked tenants, staff lists and filters, bounded queries."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from audit.services import audit_record
from resellers.models import Reseller
from resellers.services.lifecycle import reseller_create, reseller_suspend
from tax.tasks import vies_check
from tests.factories import (
    AuditEventFactory,
    CustomerFactory,
    MembershipFactory,
    ResellerFactory,
    SubResellerFactory,
)

pytestmark = pytest.mark.django_db


def test_a_suspended_resellers_users_see_why_and_can_do_nothing_else(world):
    reseller_suspend(reseller_id=world.a.reseller.pk, actor=world.staff, reason="KYC review")
    client = world.client_for("admin")
    for name in ("resellers:dashboard", "customers:customer-list", "accounts:member-list"):
        answer = client.get(reverse(name))
        assert answer.status_code == 403
        page = answer.content.decode()
        assert "is suspended" in page and "KYC review" in page
        assert "support@tessera.localhost" in page
    detail = reverse("customers:customer-detail", kwargs={"pk": world.a.customer.pk})
    assert client.get(detail).status_code == 403
    # Signing out still works; tenant B is untouched.
    assert client.post(reverse("account_logout")).status_code == 302
    assert world.client_for("admin", world.b).get(reverse("resellers:dashboard")).status_code == 200


def test_staff_suspend_and_reactivate_from_the_detail_page(world):
    client = world.client_for("staff")
    url = reverse("resellers:staff-reseller-suspend", kwargs={"pk": world.a.reseller.pk})
    answer = client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason" in answer.content.decode()
    world.a.reseller.refresh_from_db()
    assert world.a.reseller.status == Reseller.Status.APPROVED

    answer = client.post(url, {"reason": "fraud check"}, follow=True)
    assert "is suspended" in answer.content.decode()
    world.a.reseller.refresh_from_db()
    assert world.a.reseller.status == Reseller.Status.SUSPENDED

    answer = client.post(url, {"reason": "again"}, follow=True)
    assert "already suspended" in answer.content.decode()

    reactivate = reverse("resellers:staff-reseller-reactivate", kwargs={"pk": world.a.reseller.pk})
    answer = client.post(reactivate, follow=True)
    assert "active again" in answer.content.decode()
    assert world.client_for("admin").get(reverse("resellers:dashboard")).status_code == 200


def test_staff_reseller_list_filters_by_status_and_search(world):
    ResellerFactory(name="Zeta Mobile", status=Reseller.Status.APPLIED)
    client = world.client_for("staff")
    url = reverse("resellers:staff-reseller-list")
    page = client.get(url, {"status": "applied"}).content.decode()
    assert "Zeta Mobile" in page and "Tenant A" not in page
    page = client.get(url, {"q": "tenant a"}).content.decode()
    assert "Tenant A" in page and "Zeta Mobile" not in page
    page = client.get(url, {"level": "sub"}).content.decode()
    assert "Tenant A child" in page and "Zeta Mobile" not in page
    page = client.get(url, {"level": "direct"}).content.decode()
    assert "Tenant A child" not in page and "Zeta Mobile" in page
    page = client.get(url, {"level": "bogus"}).content.decode()
    assert "Select a valid choice" in page and "Zeta Mobile" not in page


def test_audit_log_filters_by_action_reseller_actor_and_date(world):
    AuditEventFactory(reseller=world.a.reseller, action="customer.created")
    AuditEventFactory(reseller=world.b.reseller, action="reseller.suspended", actor=world.staff)
    client = world.client_for("staff")
    url = reverse("resellers:staff-audit-list")
    page = client.get(url, {"action": "customer"}).content.decode()
    assert "customer.created" in page and "reseller.suspended" not in page
    page = client.get(url, {"reseller": "tenant b"}).content.decode()
    assert "reseller.suspended" in page and "customer.created" not in page
    page = client.get(url, {"actor": world.staff.email[:6]}).content.decode()
    assert "reseller.suspended" in page and "customer.created" not in page
    event = AuditEvent.objects.first()
    day = timezone.localdate(event.at).isoformat()  # the filter works in local time
    assert (
        "customer.created" in client.get(url, {"date_from": day, "date_to": day}).content.decode()
    )
    assert "customer.created" not in client.get(url, {"date_from": "2999-01-01"}).content.decode()
    answer = client.get(url, {"date_from": "not-a-date"})
    assert answer.status_code == 200 and "Enter a valid date" in answer.content.decode()


def test_sub_reseller_pages_show_only_own_children(world):
    client = world.client_for("admin")
    page = client.get(reverse("resellers:subreseller-list")).content.decode()
    assert "Tenant A child" in page and "Tenant B child" not in page


def test_navigation_shows_each_role_only_what_it_may_open(world):
    def nav(role):
        page = world.client_for(role).get(reverse("resellers:dashboard")).content.decode()
        return {
            label for label in ("Customers", "Sub-resellers", "Users") if f"</i> {label}" in page
        }

    assert nav("admin") == {"Customers", "Sub-resellers", "Users"}
    assert nav("user") == {"Customers"}
    assert nav("accountant") == set()
    staff_page = world.client_for("staff").get(reverse("resellers:staff-dashboard")).content
    assert b"Audit log" in staff_page and b"Sub-resellers" not in staff_page


PAGE_QUERY_LIMIT = 12


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("admin", "resellers:dashboard"),
        ("admin", "resellers:subreseller-list"),
        ("admin", "customers:customer-list"),
        ("admin", "accounts:member-list"),
        ("staff", "resellers:staff-dashboard"),
        ("staff", "resellers:staff-reseller-list"),
        ("staff", "resellers:staff-audit-list"),
    ],
)
def test_pages_keep_a_bounded_number_of_queries(world, django_assert_max_num_queries, role, name):
    reseller = world.a.reseller
    for n in range(30):  # enough rows that an N+1 would show
        CustomerFactory(reseller=reseller)
        SubResellerFactory(parent=reseller)
        MembershipFactory(reseller=reseller, role=Role.USER)
        AuditEventFactory(reseller=reseller, action=f"test.{n}")
    client = world.client_for(role)
    client.get(reverse(name))  # warm the session
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
        assert client.get(reverse(name)).status_code == 200


def test_detail_pages_keep_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    for n in range(20):
        AuditEventFactory(reseller=world.a.reseller, action=f"test.{n}")
        SubResellerFactory(parent=world.a.reseller)
    staff = world.client_for("staff")
    url = reverse("resellers:staff-reseller-detail", kwargs={"pk": world.a.reseller.pk})
    staff.get(url)
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
        assert staff.get(url).status_code == 200


# --- Issue 11, point 8: what the staff screens say ----------------------------------------


def test_reseller_list_names_every_column_once(world):
    page = world.client_for("staff").get(reverse("resellers:staff-reseller-list")).content.decode()
    head = page.split("<thead", 1)[1].split("</thead>")[0]
    headers = [h.strip() for h in re.findall(r"<a [^>]*>([^<]+)</a>", head)]
    assert "Country" in headers and headers.count("Display name") == 1
    assert len(headers) == len(set(headers)), headers


@pytest.mark.parametrize(("country", "vat_id"), [("DE", "DE136695976"), ("PL", "PL5260250995")])
def test_an_eu_reseller_created_by_staff_is_checked_and_says_what_vies_said(
    world, fake_vies, django_capture_on_commit_callbacks, country, vat_id
):
    fake_vies.script = ["unavailable"]
    with django_capture_on_commit_callbacks(execute=True):
        reseller = reseller_create(
            actor=world.staff,
            name="Checked Co",
            legal_name="Checked Co",
            slug=f"checked-{country.lower()}",
            country=country,
            contact_email="office@checked.test",
            currency="EUR",
            status=Reseller.Status.APPROVED,
            vat_id=vat_id,
        )
    assert [r["vatNumber"] for r in fake_vies.requests] == [vat_id[2:]]
    client = world.client_for("staff")
    page = client.get(reverse("resellers:staff-reseller-detail", kwargs={"pk": reseller.pk}))
    html = page.content.decode()
    assert "VIES knows EU VAT IDs only" not in html
    assert 'data-testid="vies-status">VIES unavailable<' in html
    assert "MS_UNAVAILABLE, 1 attempt)" in html
    # Asked again (the worker's retry, or staff), VIES answers: the page says valid.
    vies_check.apply(args=[reseller.vat_check_id], retries=1)
    html = client.get(
        reverse("resellers:staff-reseller-detail", kwargs={"pk": reseller.pk})
    ).content.decode()
    assert 'data-testid="vies-status">Valid<' in html


def test_audit_entries_are_sentences_on_every_staff_list(world):
    a = world.a.reseller
    audit_record(
        actor=None,
        action="vat_check.unavailable",
        reseller=a,
        data={"vat_id": "DE136695976", "attempt": 2, "error": "MS_UNAVAILABLE"},
    )
    audit_record(actor=None, action="something.new", reseller=a)
    sentence = "VIES could not answer about DE136695976 (attempt 2, MS_UNAVAILABLE)."
    client = world.client_for("staff")
    for url in (
        reverse("resellers:staff-dashboard"),
        reverse("resellers:staff-audit-list"),
        reverse("resellers:staff-reseller-detail", kwargs={"pk": a.pk}),
    ):
        html = client.get(url).content.decode()
        assert sentence in html, url
        assert "Other event (something.new)." in html, url
        assert "<code>vat_check.unavailable</code>" not in html, url
        assert ">vat_check.unavailable<" not in html, url
