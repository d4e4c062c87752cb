"""Manage accounts, sub-reseller creation, Add credits and the staff credit/policy forms."""

import re
from decimal import Decimal
from uuid import uuid4

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import reseller_balance
from resellers.models import Reseller
from resellers.services.subresellers import (
    reseller_subreseller_policy_set,
    subreseller_credit_transfer,
)
from tests.factories import CustomerFactory, SubResellerFactory
from tests.world import fund

pytestmark = pytest.mark.django_db
SALES = LedgerAccount.Kind.SALES_CREDIT
ACCOUNTS = reverse("customers:account-list")
CREATE = reverse("resellers:subreseller-create")


def _credit_url(child) -> str:
    return reverse("resellers:subreseller-credit", kwargs={"pk": child.pk})


def _give(world, amount, child=None):
    return subreseller_credit_transfer(
        parent=world.a.reseller,
        actor=world.a.admin,
        child_id=(child or world.a.child).pk,
        amount=Decimal(amount),
        note="seed",
        idempotency_key=str(uuid4()),
    )


def test_manage_accounts_lists_children_and_customers_with_balances(
    world, django_assert_max_num_queries
):
    for n in range(6):
        child = SubResellerFactory(parent=world.a.reseller, name=f"Shop {n}")
        fund(child, net=f"{n + 1}.00", vat="0.19")
        CustomerFactory(reseller=world.a.reseller)
    SubResellerFactory(parent=world.b.reseller, name="Foreign shop")
    _give(world, "30.00")
    client = world.client_for("admin")
    with django_assert_max_num_queries(15):
        page = client.get(ACCOUNTS).content.decode()
    assert "Shop 5" in page and "€6.00" in page and "€30.00" in page
    assert "€70.00" in page  # own sales credit
    assert "Foreign shop" not in page and world.b.customer.phone not in page
    assert world.a.customer.phone in page
    assert "Add credits" in page and "seed" in page  # the transfer's note, parent side


def test_accountant_reads_accounts_without_the_credit_actions(world):
    page = world.client_for("accountant").get(ACCOUNTS).content.decode()
    assert "Tenant A child" in page and "Add credits" not in page
    url = _credit_url(world.a.child)
    data = {"amount": "5", "note": "x", "idempotency_key": str(uuid4())}
    assert world.client_for("accountant").post(url, data).status_code == 403
    assert world.client_for("user").get(ACCOUNTS).status_code == 403


def test_subreseller_creation_is_refused_while_the_flag_is_off(world):
    client = world.client_for("admin")
    answer = client.get(CREATE, follow=True)
    assert "has not enabled sub-resellers" in answer.content.decode()
    page = client.get(reverse("resellers:subreseller-list")).content.decode()
    assert "New sub-reseller" not in page and "has not enabled sub-resellers" in page
    assert client.post(CREATE, {"name": "X"}).status_code == 302
    assert not Reseller.objects.filter(name="X").exists()


def test_admin_creates_a_subreseller_when_allowed(world):
    reseller_subreseller_policy_set(
        reseller_id=world.a.reseller.pk, actor=world.staff, may_create=True, depth_limit=1
    )
    client = world.client_for("admin")
    page = client.get(CREATE).content.decode()
    assert "At most your own rate, 10 %" in page
    assert "may_create_subresellers" not in page  # depth 1: the child cannot have children
    data = {
        "name": "Kiosk Ost",
        "legal_name": "Kiosk Ost UG",
        "country": "DE",
        "contact_email": "ost@example.test",
        "commission_rate": "10.50",
    }
    answer = client.post(CREATE, data)
    assert "earns at most your own rate, 10 %" in answer.content.decode()
    answer = client.post(CREATE, {**data, "country": "XX", "contact_email": "nope"})
    page = answer.content.decode()
    assert "Select a valid choice" in page and "Enter a valid email address." in page
    assert not Reseller.objects.filter(name="Kiosk Ost").exists()
    answer = client.post(CREATE, {**data, "commission_rate": "7.5"}, follow=True)
    assert "Kiosk Ost is created and approved" in answer.content.decode()
    child = Reseller.objects.get(name="Kiosk Ost")
    assert child.parent == world.a.reseller and child.commission_rate == Decimal("7.50")


def test_add_credits_then_revoke_part_of_them(world, django_assert_max_num_queries):
    client = world.client_for("admin")
    detail = reverse("resellers:subreseller-detail", kwargs={"pk": world.a.child.pk})
    page = client.get(detail).content.decode()
    key = re.search(r'name="idempotency_key" value="([\w-]+)"', page).group(1)
    data = {"amount": "30", "note": "Start budget", "idempotency_key": key}
    answer = client.post(_credit_url(world.a.child), data, follow=True)
    assert "€30.00 moved to Tenant A child" in answer.content.decode()
    client.post(_credit_url(world.a.child), data)  # the double submit
    assert reseller_balance(reseller=world.a.child, kind=SALES) == Decimal("30")
    data = {"amount": "-10.5", "note": "Too much", "idempotency_key": str(uuid4())}
    answer = client.post(_credit_url(world.a.child), data, follow=True)
    page = answer.content.decode()
    assert "€10.50 taken back from Tenant A child" in page
    assert "Start budget" in page and "Too much" in page
    assert reseller_balance(reseller=world.a.reseller, kind=SALES) == Decimal("80.5")
    with django_assert_max_num_queries(15):
        client.get(detail)


def _history_row(page: str, note: str) -> str:
    """The text of the history row with `note`, tags removed."""
    [row] = [r for r in page.split("<tr>") if note in r]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_history_says_which_way_the_money_went_on_both_sides(world):
    _give(world, "30.00")
    subreseller_credit_transfer(
        parent=world.a.reseller,
        actor=world.a.admin,
        child_id=world.a.child.pk,
        amount=Decimal("-12.00"),
        note="Back to the parent",
        idempotency_key=str(uuid4()),
    )
    client = world.client_for("admin")
    parent_side = client.get(ACCOUNTS).content.decode()
    assert "to Tenant A child seed" in _history_row(parent_side, "seed")
    assert "from Tenant A child Back to the parent" in _history_row(
        parent_side, "Back to the parent"
    )
    detail = reverse("resellers:subreseller-detail", kwargs={"pk": world.a.child.pk})
    child_side = client.get(detail).content.decode()
    assert "from Tenant A seed" in _history_row(child_side, "seed")
    assert "to Tenant A Back to the parent" in _history_row(child_side, "Back to the parent")
    assert _history_row(child_side, "Back to the parent").endswith("-12.00 18.00")


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "Enter an amount other than zero."),
        ("-0.00", "Enter an amount other than zero."),
        ("1.234", "EUR amounts have at most 2 decimal places."),
        ("2000000", "at most €1,000,000.00"),
        ("ten", "Enter the amount with the digits 0–9"),
        ("-5", "The sub-reseller has only €0.00 of sales credit"),
        ("100.01", "Your sales credit is too low: €100.00 available."),
    ],
)
def test_bad_amounts_show_a_form_error_and_change_nothing(world, amount, error):
    client = world.client_for("admin")
    data = {"amount": amount, "note": "test", "idempotency_key": str(uuid4())}
    answer = client.post(_credit_url(world.a.child), data)
    assert answer.status_code == 200 and error in answer.content.decode()
    assert not LedgerTransaction.objects.filter(kind="transfer").exists()


def test_missing_note_or_key_is_a_form_error(world):
    client = world.client_for("admin")
    page = client.post(_credit_url(world.a.child), {"amount": "5"}).content.decode()
    assert page.count("This field is required.") == 1 and "reload the page" in page
    assert not LedgerTransaction.objects.filter(kind="transfer").exists()


def test_a_reused_key_with_other_values_asks_to_enter_again(world):
    client = world.client_for("admin")
    key = str(uuid4())
    client.post(_credit_url(world.a.child), {"amount": "5", "note": "a", "idempotency_key": key})
    answer = client.post(
        _credit_url(world.a.child), {"amount": "6", "note": "a", "idempotency_key": key}
    )
    page = answer.content.decode()
    assert "already sent with other values" in page and key not in page
    assert reseller_balance(reseller=world.a.child, kind=SALES) == Decimal("5")


def test_another_tenants_or_a_grandchild_is_404(world):
    grandchild = SubResellerFactory(parent=world.a.child)
    client = world.client_for("admin")
    data = {"amount": "5", "note": "x", "idempotency_key": str(uuid4())}
    for stranger in (world.b.child, world.b.reseller, grandchild):
        assert client.post(_credit_url(stranger), data).status_code == 404
        detail = reverse("resellers:subreseller-detail", kwargs={"pk": stranger.pk})
        assert client.get(detail).status_code == 404
    assert not LedgerTransaction.objects.filter(kind="transfer").exists()


def _staff_credit(world, **data):
    url = reverse("resellers:staff-reseller-credit", kwargs={"pk": world.a.reseller.pk})
    values = {"direction": "credit", "amount": "50", "reason": "Bank transfer"}
    values.update(idempotency_key=str(uuid4()), **data)
    prefixed = {f"credit-{name}": value for name, value in values.items()}
    return world.client_for("staff").post(url, prefixed, follow=True)


def test_staff_credit_and_debit_with_a_reason(world, django_assert_max_num_queries):
    page = _staff_credit(world).content.decode()
    assert "€50.00 credited to Tenant A" in page and "Bank transfer" in page
    assert reseller_balance(reseller=world.a.reseller, kind=SALES) == Decimal("150")
    page = _staff_credit(world, direction="debit", amount="150.01").content.decode()
    assert "it cannot go below zero" in page
    page = _staff_credit(world, reason="").content.decode()
    assert "This field is required." in page
    page = _staff_credit(world, amount="-3").content.decode()
    assert "Enter a positive amount" in page
    page = _staff_credit(world, amount="0.999").content.decode()
    assert "at most 2 decimal places" in page
    assert reseller_balance(reseller=world.a.reseller, kind=SALES) == Decimal("150")
    assert AuditEvent.objects.filter(action="ledger.staff_adjusted").count() == 1
    url = reverse("resellers:staff-reseller-detail", kwargs={"pk": world.a.reseller.pk})
    staff = world.client_for("staff")
    with django_assert_max_num_queries(15):
        assert staff.get(url).status_code == 200


def test_staff_set_the_subreseller_policy(world):
    url = reverse("resellers:staff-reseller-policy", kwargs={"pk": world.a.reseller.pk})
    client = world.client_for("staff")
    page = client.post(url, {"policy-subreseller_depth_limit": "9"}, follow=True).content.decode()
    assert "less than or equal to 5" in page
    answer = client.post(
        url,
        {"policy-may_create_subresellers": "on", "policy-subreseller_depth_limit": "2"},
        follow=True,
    )
    assert "The sub-reseller settings are saved." in answer.content.decode()
    world.a.reseller.refresh_from_db()
    assert world.a.reseller.may_create_subresellers
    assert world.a.reseller.subreseller_depth_limit == 2
    assert AuditEvent.objects.filter(action="reseller.subreseller_policy_changed").exists()


def test_subreseller_list_shows_balances_in_bounded_queries(world, django_assert_max_num_queries):
    reseller_subreseller_policy_set(
        reseller_id=world.a.reseller.pk, actor=world.staff, may_create=True, depth_limit=2
    )
    for n in range(6):
        SubResellerFactory(parent=world.a.reseller, name=f"Shop {n}")
    _give(world, "12.34")
    client = world.client_for("admin")
    with django_assert_max_num_queries(15):
        page = client.get(reverse("resellers:subreseller-list")).content.decode()
    assert "Shop 5" in page and "€12.34" in page and "New sub-reseller" in page
