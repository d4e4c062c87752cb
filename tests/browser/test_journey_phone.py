"""Journeys on a phone (390x844, touch): the Sales Panel and the customer portal fit the screen.

After every page load `assert_fits` checks that nothing scrolls sideways and nothing sticks out;
every list row keeps its amount and its main action (link or button) on the screen; the forms
have full-width inputs and touch targets at least 44 px high.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from customers.models import Customer
from customers.selectors import portal_balance
from ledger.verify import ledger_verify
from tests.browser.conftest import (
    MOBILE_VIEWPORT,
    assert_fits,
    language_choose,
    money,
    sidebar_link,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH = MOBILE_VIEWPORT["width"]
TOUCH = 44  # px: the smallest comfortable touch target
NEW_PHONE = "+4915155501234"
INPUT_GROUP = "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' input-group ')]"


def _box(locator) -> dict:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    return box


def _on_screen(locator, what: str) -> dict:
    box = _box(locator)
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (
        f"{what} spans {box['x']:.0f}..{box['x'] + box['width']:.0f}px on a {WIDTH}px screen"
    )
    return box


def _touchable(locator, what: str) -> None:
    """On the screen and at least 44 px high."""
    box = _on_screen(locator, what)
    assert box["height"] >= TOUCH, f"{what} is {box['height']:.0f}px high, less than {TOUCH}px"


def _full_width(field, what: str) -> None:
    """An input as wide as the form it sits in (less a grid gutter; with its unit when it
    has one, an .input-group), and tall enough to tap."""
    _touchable(field, what)
    group = field.locator(INPUT_GROUP)
    own = (group.first if group.count() else field).bounding_box()["width"]
    form = field.locator("xpath=ancestor::form[1]").bounding_box()["width"]
    assert own >= form - 16, f"{what} is {own:.0f}px wide in a {form:.0f}px form"  # a gutter


def _rows_fit(table, *, amount: str, action: bool = True, shows: str = r"\d") -> int:
    """Every row of `table` shows its amount (the cell labelled `amount`, whose text matches
    `shows`) and its links and buttons within the screen. Returns the number of rows."""
    rows = table.locator("tbody tr")
    expect(rows.first).to_be_visible()
    count = rows.count()
    for n in range(count):
        row = rows.nth(n)
        cell = row.locator(f'td[data-label="{amount}"]')
        expect(cell).to_have_count(1)
        _on_screen(cell, f"row {n + 1}'s {amount}")
        expect(cell).to_contain_text(re.compile(shows))
        actions = row.locator("a, button, select")
        if action:
            assert actions.count(), f"row {n + 1} has no link or button"
        for k in range(actions.count()):
            _touchable(actions.nth(k), f"row {n + 1}'s {actions.nth(k).inner_text()!r}")
    return count


def _menu(page, label: str) -> None:
    """Open the folded sidebar with the menu button and follow one of its links."""
    page.locator(".navbar-toggler").click()
    sidebar_link(page, label).click()


def _loaded(page, heading: str | re.Pattern) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_fits(page)


def test_a_user_sells_from_a_phone(live_server, transactional_db, mobile_page, screenshot):
    call_command("demo_data", stdout=io.StringIO())
    page, base = mobile_page, live_server.url

    sign_in(page, base, "user@alpha.test")
    expect(page).to_have_url(re.compile(r"/r/$"))
    _loaded(page, "Alpha Telecom")
    _rows_fit(page.get_by_test_id("latest"), amount="Sales credit", action=False)
    screenshot(page, "phone-01-dashboard")

    # --- Register / Recharge a new number: big amount buttons, full-width field ----------
    recharge = page.get_by_test_id("actions").get_by_role("link", name=re.compile("Recharge"))
    _touchable(recharge, "the recharge button")
    recharge.click()
    _loaded(page, "Register / Recharge Customer")
    form = page.get_by_test_id("recharge-form")
    _full_width(form.locator('input[name="phone"]'), "the number field")
    choices = form.locator("label.btn")
    assert choices.count() >= 3
    for n in range(choices.count()):
        _touchable(choices.nth(n), f"amount {choices.nth(n).inner_text()!r}")
    boxes = [_box(choices.nth(n)) for n in range(choices.count())]
    # A grid: the amounts of a row share the width, so three big buttons sit side by side.
    first_row = [box for box in boxes if abs(box["y"] - boxes[0]["y"]) < 1]
    assert len(first_row) >= 3, "the amounts do not sit side by side in a grid"
    assert len({round(box["width"]) for box in first_row}) == 1, "grid cells differ in width"
    _touchable(form.get_by_role("button", name=re.compile("Continue")), "Continue")
    screenshot(page, "phone-02-recharge")

    form.locator('input[name="phone"]').fill(NEW_PHONE)
    form.get_by_text("€10.00", exact=True).click()
    form.get_by_role("button", name=re.compile("Continue")).click()
    _loaded(page, "Confirm the recharge")
    expect(page.get_by_test_id("customer-new")).to_be_visible()
    confirm = page.get_by_role("button", name=re.compile("Register and recharge"))
    _touchable(confirm, "Register and recharge")
    _touchable(page.get_by_role("button", name="Change"), "Change")
    screenshot(page, "phone-03-confirm")

    confirm.click()
    _loaded(page, "Recharge done")
    expect(page.get_by_test_id("done-amount")).to_contain_text("€10.00")
    _touchable(page.get_by_test_id("recharge-next"), "Next customer")
    screenshot(page, "phone-04-done")

    # --- Customers: each row its number (the link) and its balance ------------------------
    _menu(page, "Customers")
    _loaded(page, "Customers")
    customers = page.locator("main table")
    assert _rows_fit(customers, amount="Balance") >= 3
    _touchable(page.get_by_role("button", name=re.compile("Filter")), "Filter")
    screenshot(page, "phone-05-customers")

    customers.get_by_role("link", name=NEW_PHONE).click()
    _loaded(page, NEW_PHONE)
    expect(page.get_by_test_id("customer-balance")).to_have_text("€10.00")
    assert _rows_fit(page.get_by_test_id("history"), amount="Amount", action=False) == 1
    _rows_fit(page.get_by_test_id("customer-messages"), amount="Time", action=False)
    _touchable(page.get_by_test_id("action-recharge"), "Recharge")
    screenshot(page, "phone-06-customer")

    assert Customer.objects.get(phone=NEW_PHONE).reseller.slug == "alpha"
    assert ledger_verify().clean
    assert page.problems == []


def test_an_admin_keeps_the_books_on_a_phone(
    live_server, transactional_db, mobile_page, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    page, base = mobile_page, live_server.url

    sign_in(page, base, "admin@alpha.test")
    _loaded(page, "Choose a reseller")
    page.get_by_role("button", name=re.compile(r"^Alpha Telecom")).click()
    _loaded(page, "Alpha Telecom")
    _rows_fit(page.get_by_test_id("latest"), amount="Sales credit", action=False)

    # --- Manage accounts: sub-resellers with "Add credits", customers with their balances ---
    _menu(page, "Manage accounts")
    _loaded(page, "Manage accounts")
    children = page.locator("main table").first
    expect(children.get_by_test_id("account-alpha-kiosk")).to_be_visible()
    _rows_fit(children, amount="Sales credit")
    _rows_fit(page.locator("main table").nth(1), amount="Balance", action=False)
    _rows_fit(page.get_by_test_id("transfer-history"), amount="Amount", action=False)
    screenshot(page, "phone-07-accounts")

    # --- The cashbook: filter fields full width, every row with its amounts ----------------
    _menu(page, "Cashbook")
    _loaded(page, "Cashbook")
    _full_width(page.locator('input[name="date_from"]'), "From")
    _touchable(page.get_by_role("button", name=re.compile("Show")), "Show")
    rows = _rows_fit(page.get_by_test_id("cashbook"), amount="Sales credit ±", action=False)
    assert rows >= 5
    _rows_fit(page.get_by_test_id("cashbook"), amount="Commission credit", action=False)
    screenshot(page, "phone-08-cashbook")

    # --- Commission to sales credit ----------------------------------------------------------
    page.goto(base + "/r/")
    page.get_by_test_id("actions").get_by_role("link", name=re.compile("Transfer")).click()
    _loaded(page, re.compile("commission", re.I))
    commission = money(page.get_by_test_id("commission-balance").inner_text())
    amount = page.get_by_label("Amount")
    _full_width(amount, "Amount")
    submit = page.get_by_role("button", name=re.compile("Transfer to sales credit"))
    _touchable(submit, "Transfer to sales credit")
    screenshot(page, "phone-09-transfer")
    amount.fill("5")
    submit.click()
    expect(page.locator(".alert-success")).to_contain_text("€5.00 of commission credit")
    assert money(page.get_by_test_id("commission-balance").inner_text()) == commission - 5
    assert_fits(page)

    # --- Sub-resellers and the team -----------------------------------------------------------
    _menu(page, "Sub-resellers")
    _loaded(page, "Sub-resellers")
    _rows_fit(page.locator("main table"), amount="Sales credit")
    screenshot(page, "phone-10-subresellers")

    _menu(page, "Users")
    _loaded(page, re.compile("User"))
    _rows_fit(page.locator("main table").first, amount="E-mail", shows="@")
    screenshot(page, "phone-11-users")

    assert ledger_verify().clean
    assert page.problems == []


def test_a_customer_reads_the_balance_on_a_phone(
    live_server, transactional_db, mobile_page, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    page, base = mobile_page, live_server.url
    customer = Customer.objects.get(user__email="customer@alpha.test")

    page.goto(base + "/accounts/login/")
    assert_fits(page)
    _full_width(page.locator('input[name="login"]'), "the sign-in field")
    _touchable(page.get_by_role("button", name="Sign In"), "Sign In")
    sign_in(page, base, customer.phone)  # the mobile number is the username
    expect(page.get_by_test_id("portal-balance")).to_be_visible()
    language_choose(page, "en")
    _loaded(page, re.compile(r"^Hello, "))
    balance = portal_balance(customer=customer)
    assert money(page.get_by_test_id("portal-balance").inner_text()) == balance
    assert _rows_fit(page.get_by_test_id("history"), amount="Amount", action=False) >= 1
    screenshot(page, "phone-12-portal")

    page.get_by_role("link", name="Profile and language").click()
    _loaded(page, "Profile")
    form = page.locator("main form").last
    for field in form.locator("input:visible, select:visible").all():
        _full_width(field, f"the {field.get_attribute('name')} field")
    _touchable(form.get_by_role("button", name="Save"), "Save")
    screenshot(page, "phone-13-profile")

    page.go_back()
    page.get_by_role("link", name="Change password").click()
    _loaded(page, "Change password")
    for name in ("old_password", "new_password1", "new_password2"):
        _full_width(page.locator(f'input[name="{name}"]'), name)
    _touchable(page.get_by_role("button", name="Save the new password"), "Save the new password")
    screenshot(page, "phone-14-password")
    assert page.problems == []
