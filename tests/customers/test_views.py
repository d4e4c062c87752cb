"""Sales Panel pages: Register / Recharge (steps, replay, errors), customer list and detail."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from customers.forms import recharge_key_sign
from customers.models import Customer
from customers.services import customer_recharge
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.services import customer_account, reseller_account
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/r/recharge/"
NEW = "+491791234567"


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', page).group(1)


def sales_credit(tenant) -> Decimal:
    return reseller_account(reseller=tenant.reseller, kind=LedgerAccount.Kind.SALES_CREDIT).balance


def _key(world, key: str, tenant=None, person=None) -> str:
    tenant = tenant or world.a
    person = person or tenant.user
    return recharge_key_sign(key, reseller_id=tenant.reseller.pk, user_id=person.pk)


def review(client, phone, amount="10.0000", key=None):
    key = key or key_of(client.get(URL).content.decode())
    return client.post(URL, {"phone": phone, "amount": amount, "key": key, "step": "review"})


def test_the_url_name_is_the_sales_panels():
    assert reverse("customers:recharge") == URL


@pytest.mark.parametrize("phone", ["491791234567", "+49 179 1234567", "0049 179 1234567"])
def test_the_confirmation_step_shows_a_new_customer_amount_commission_and_credit_left(world, phone):
    client = world.client_for("user")
    answer = review(client, phone, "20.0000")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'data-testid="customer-new"' in page
    assert re.search(r'confirm-phone">\+491791234567<', page)
    assert re.search(r'confirm-amount">€20.00<', page)
    assert re.search(r'confirm-commission">€2.00<', page)  # 10 % of 20
    assert re.search(r'confirm-left">€80.00<', page)
    # Nothing has moved yet.
    assert not Customer.objects.filter(phone=NEW).exists()
    assert sales_credit(world.a) == Decimal(100)


def test_confirm_registers_and_recharges_then_replaying_five_times_recharges_once(world):
    client = world.client_for("user")
    page = review(client, "+49 179 1234567").content.decode()
    data = {"phone": NEW, "amount": "10.0000", "key": key_of(page), "step": "confirm"}
    answers = [client.post(URL, data) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    first, *replays = (a.content.decode() for a in answers)
    assert 'data-testid="recharge-done"' in first and "is registered" in first
    assert "recharge-replayed" not in first
    assert all("recharge-replayed" in r for r in replays)
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1
    assert sales_credit(world.a) == Decimal(90)
    customer = Customer.objects.get(phone=NEW)
    assert customer_account(customer=customer).balance == Decimal(10)
    assert AuditEvent.objects.filter(action="customer.recharged").count() == 1


def test_an_existing_customer_is_shown_as_such(world):
    client = world.client_for("admin")
    customer = world.a.customer
    page = review(client, customer.phone).content.decode()
    assert 'data-testid="customer-known"' in page and customer.name in page


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "This field is required"),
        ("hello", "no digits"),
        ("+49 30 12345678", "not a mobile number"),
        ("+49 179", "valid number"),
        ("+999 1234567", "country code"),
    ],
)
def test_a_bad_number_says_why_and_changes_nothing(world, phone, message):
    answer = review(world.client_for("user"), phone)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 0


def test_a_national_number_is_read_in_the_resellers_country(world):
    page = review(world.client_for("user"), "0179 1234567").content.decode()
    assert NEW in page and 'data-testid="customer-new"' in page


def test_an_amount_not_offered_is_refused(world):
    answer = review(world.client_for("user"), NEW, "7.0000")
    assert answer.status_code == 400
    assert "Choose one of the amounts offered" in answer.content.decode()


def test_the_form_offers_the_operators_amounts_for_the_currency(world):
    page = world.client_for("user").get(URL).content.decode()
    values = re.findall(r'name="amount" id="[^"]+" value="([^"]+)"', page)
    assert values == ["5.0000", "10.0000", "20.0000", "50.0000"]


def test_the_phone_is_prefilled_from_the_customer_page_link(world):
    page = world.client_for("user").get(URL + "?phone=%2B4917000000001").content.decode()
    assert 'value="+4917000000001"' in page


@pytest.mark.parametrize("key", ["forged", "abc:def:ghi", ""])
def test_an_altered_key_is_refused(world, key):
    client = world.client_for("user")
    answer = client.post(URL, {"phone": NEW, "amount": "10.0000", "key": key, "step": "confirm"})
    assert answer.status_code == 400
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 0


@pytest.mark.parametrize("opener", ["same tenant's admin", "other tenant's user"])
def test_a_key_opened_by_someone_else_is_refused(world, opener):
    """A recharge form's key works only for the member and reseller that opened it."""
    key = (
        _key(world, "theirs", person=world.a.admin)
        if opener == "same tenant's admin"
        else _key(world, "theirs", tenant=world.b)
    )
    client = world.client_for("user")
    for step in ("review", "confirm"):
        answer = client.post(URL, {"phone": NEW, "amount": "10.0000", "key": key, "step": step})
        assert answer.status_code == 400
        assert "opened by someone else" in answer.content.decode()
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 0
    assert not Customer.objects.filter(phone=NEW).exists()
    # The one who opened it may use it.
    own = world.a.admin if opener == "same tenant's admin" else None
    if own is not None:
        answer = world.client_for("admin").post(
            URL, {"phone": NEW, "amount": "10.0000", "key": key, "step": "confirm"}
        )
        assert answer.status_code == 200, answer.content.decode()[:500]
        assert LedgerTransaction.objects.filter(kind="recharge").count() == 1


@pytest.mark.parametrize("amount", ["１０.0000", "1e1", "10.0000 ", "+10"])
def test_an_amount_in_another_spelling_is_refused(world, amount):
    answer = review(world.client_for("user"), NEW, amount)
    assert answer.status_code == 400
    assert "Choose one of the amounts offered." in answer.content.decode()


def test_not_enough_sales_credit_is_a_clear_error_at_review_and_confirm(world):
    client = world.client_for("user")
    for i in range(2):  # 100 of sales credit: two recharges of 50
        customer_recharge(
            reseller=world.a.reseller,
            actor=world.a.user,
            phone=world.a.customer.phone,
            amount="50",
            idempotency_key=f"drain{i}",
        )
    answer = review(client, NEW, "5.0000")
    assert answer.status_code == 400
    assert "Not enough sales credit: €0.00 available, €5.00 needed" in (answer.content.decode())
    data = {"phone": NEW, "amount": "5.0000", "key": _key(world, "k"), "step": "confirm"}
    answer = client.post(URL, data)
    assert answer.status_code == 400 and "Not enough sales credit" in answer.content.decode()
    assert not Customer.objects.filter(phone=NEW).exists()
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 2


def test_another_resellers_customer_shows_a_masked_name_and_no_balance(world):
    theirs = world.b.customer
    theirs.name = "Jana Nowak"
    theirs.save()
    customer_recharge(
        reseller=world.b.reseller,
        actor=world.b.user,
        phone=theirs.phone,
        amount="20",
        idempotency_key="b-sale",
    )
    client = world.client_for("user")
    page = review(client, theirs.phone).content.decode()
    assert "J*** N***" in page and "Jana" not in page and "Nowak" not in page
    assert "Customer of another reseller" in page
    data = {"phone": theirs.phone, "amount": "10.0000", "key": key_of(page), "step": "confirm"}
    done = client.post(URL, data).content.decode()
    assert "J*** N***" in done and "Jana" not in done
    # The balance (20 + 10) is shown nowhere, and the customer page stays the owner's.
    assert "30.00" not in done and "Open the customer" not in done
    detail = reverse("customers:customer-detail", kwargs={"pk": theirs.pk})
    assert client.get(detail).status_code == 404
    assert customer_account(customer=theirs).balance == Decimal(30)


def test_cross_reseller_recharge_can_be_switched_off(world, settings):
    settings.TESSERA_CROSS_RESELLER_RECHARGE = False
    answer = review(world.client_for("user"), world.b.customer.phone)
    assert answer.status_code == 400
    assert "customer of another reseller" in answer.content.decode()


def test_the_edit_step_keeps_the_key(world):
    client = world.client_for("user")
    key = key_of(client.get(URL).content.decode())
    answer = client.post(URL, {"phone": NEW, "amount": "10.0000", "key": key, "step": "edit"})
    assert key_of(answer.content.decode()) == key


# --- Customer list and detail -----------------------------------------------------------------


@pytest.fixture
def customers(world):
    reseller, user = world.a.reseller, world.a.user
    rich = CustomerFactory(reseller=reseller, name="Rich Rita", phone="+491791111111")
    poor = CustomerFactory(reseller=reseller, name="Poor Paul", phone="+491792222222")
    gone = CustomerFactory(
        reseller=reseller, name="Gone Gina", phone="+491793333333", status="suspended"
    )
    customer_recharge(
        reseller=reseller, actor=user, phone=rich.phone, amount="50", idempotency_key="r"
    )
    customer_recharge(
        reseller=reseller, actor=user, phone=poor.phone, amount="5", idempotency_key="p"
    )
    return rich, poor, gone


def listed(client, **query) -> list[str]:
    page = client.get(reverse("customers:customer-list"), query).content.decode()
    return re.findall(r'href="/r/customers/\d+/">(\+\d+)<', page)


def test_the_list_searches_by_phone_or_name(world, customers):
    client = world.client_for("user")
    assert listed(client, q="rita") == ["+491791111111"]
    assert listed(client, q="179 2222") == ["+491792222222"]
    assert listed(client, q="nobody") == []


def test_the_list_filters_by_status_and_balance_range_and_sorts(world, customers):
    client = world.client_for("admin")
    assert listed(client, status="suspended") == ["+491793333333"]
    assert listed(client, balance_min="10") == ["+491791111111"]
    assert set(listed(client, balance_max="5")) == {
        "+491792222222",
        "+491793333333",
        world.a.customer.phone,
    }
    assert listed(client, balance_min="1", balance_max="50", sort="-balance") == [
        "+491791111111",
        "+491792222222",
    ]
    assert listed(client, balance_min="1", sort="balance") == ["+491792222222", "+491791111111"]


def test_a_reversed_balance_range_says_so(world, customers):
    page = world.client_for("admin").get(
        reverse("customers:customer-list"), {"balance_min": "20", "balance_max": "10"}
    )
    assert "must not be below" in page.content.decode()


def test_the_list_shows_only_own_customers(world, customers):
    phones = listed(world.client_for("admin"))
    assert world.b.customer.phone not in phones and len(phones) == 4
    assert "€50.00" in world.client_for("admin").get("/r/customers/").content.decode()


def test_the_detail_shows_balance_history_and_actions(world, customers):
    rich = customers[0]
    client = world.client_for("user")
    page = client.get(reverse("customers:customer-detail", kwargs={"pk": rich.pk})).content
    page = page.decode()
    assert re.search(r'customer-balance">€50.00<', page)
    assert "Recharge" in page and "50.00" in page
    assert "/r/recharge/?phone=%2B491791111111" in page
    assert "Resend new credentials" in page and "Suspend" in page


def test_suspend_reactivate_and_resend_from_the_detail_page(world, customers):
    rich = customers[0]
    client = world.client_for("user")
    kwargs = {"pk": rich.pk}
    answer = client.post(reverse("customers:customer-suspend", kwargs=kwargs), follow=True)
    assert "is suspended" in answer.content.decode()
    rich.refresh_from_db()
    assert rich.status == "suspended"
    answer = client.post(reverse("customers:customer-suspend", kwargs=kwargs), follow=True)
    assert "already suspended" in answer.content.decode()
    client.post(reverse("customers:customer-reactivate", kwargs=kwargs))
    rich.refresh_from_db()
    assert rich.status == "active"
    answer = client.post(
        reverse("customers:customer-credentials-reset", kwargs=kwargs), follow=True
    )
    assert "New sign-in details" in answer.content.decode()
    rich.refresh_from_db()
    assert rich.user is not None and rich.password_change_required


@pytest.mark.parametrize(
    "name",
    [
        "customers:customer-detail",
        "customers:customer-suspend",
        "customers:customer-reactivate",
        "customers:customer-credentials-reset",
    ],
)
def test_another_resellers_customer_id_is_404_and_untouched(world, name):
    theirs = world.b.customer
    client = world.client_for("admin")
    url = reverse(name, kwargs={"pk": theirs.pk})
    answer = client.get(url) if name.endswith("detail") else client.post(url)
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active" and not theirs.password_change_required


def test_list_and_detail_stay_under_15_queries(world, customers, django_assert_max_num_queries):
    client = world.client_for("admin")
    CustomerFactory.create_batch(30, reseller=world.a.reseller)
    with django_assert_max_num_queries(15):
        assert client.get("/r/customers/?sort=-balance&balance_min=0").status_code == 200
    url = reverse("customers:customer-detail", kwargs={"pk": customers[0].pk})
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_an_unapproved_reseller_cannot_open_the_recharge_form(world):
    """An applicant's Sales Panel is closed (resellers.middleware): the form is a 403 that says
    why, and nothing is sold."""
    client = world.client_for("user")
    world.a.reseller.status = "applied"
    world.a.reseller.save()
    before = sales_credit(world.a)
    for answer in (client.get(URL), client.post(URL, {"phone": NEW, "amount": "10"})):
        assert answer.status_code == 403
        assert "is not approved yet" in answer.content.decode()
    assert sales_credit(world.a) == before


# --- The htmx steps: the answer is the content of <main>, without the layout ------------------

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "main"}


@pytest.mark.parametrize("htmx", [False, True])
def test_each_step_answers_htmx_with_the_content_only_and_a_browser_with_the_page(world, htmx):
    client = world.client_for("user")
    headers = HTMX if htmx else {}
    form = client.get(URL, **headers).content.decode()
    key = key_of(form)
    data = {"phone": NEW, "amount": "10.0000", "key": key, "step": "review"}
    confirm = client.post(URL, data, **headers)
    done = client.post(URL, {**data, "step": "confirm"}, **headers)
    bad = client.post(URL, {**data, "phone": "+49 30 1234", "step": "review"}, **headers)
    assert (confirm.status_code, done.status_code, bad.status_code) == (200, 200, 400)
    for answer in (form, confirm.content.decode(), done.content.decode(), bad.content.decode()):
        assert ("<html" in answer) is not htmx
        assert ('class="col-lg-2 p-0 border-end' in answer) is not htmx  # the sidebar
        assert 'id="main"' in answer or htmx
        assert "<title>" in answer  # htmx sets the tab's title from it
    assert 'data-testid="recharge-done"' in done.content.decode()
    assert "not a mobile number" in bad.content.decode()
    assert 'hx-post="/r/recharge/"' in form and 'hx-target="#main"' in form
    assert LedgerTransaction.objects.filter(kind="recharge").count() == 1


def test_htmx_aimed_elsewhere_gets_the_whole_page(world):
    """Only a swap of <main> gets the content alone; any other htmx target, the page."""
    client = world.client_for("user")
    page = client.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="somewhere").content.decode()
    assert "<html" in page


@pytest.mark.parametrize(
    "typed", ["+49 179 1234567", "0049 179 1234567", "0179 1234567", "491791234567", "1234567"]
)
def test_the_customer_search_finds_a_number_in_any_format_the_forms_take(world, typed):
    """ "0179 1234567" (national, the reseller's country) found nothing: its digits are not
    part of "+491791234567". A part of a number still finds it."""
    CustomerFactory(reseller=world.a.reseller, phone="+491791234567", name="Typed Number")
    CustomerFactory(reseller=world.a.reseller, phone="+491791111111", name="Someone Else")
    page = world.client_for("user").get(reverse("customers:customer-list"), {"q": typed}).text
    assert "Typed Number" in page and "Someone Else" not in page
