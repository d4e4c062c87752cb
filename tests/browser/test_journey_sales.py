"""Journey (ClouFON FAQ): a shop user registers a new number with a recharge, the customer
gets the credentials by SMS, signs in with the phone, must change the password, sees the
balance; a second recharge from the customer page grows it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from customers.models import Customer
from resellers.management.commands.demo_data import DEMO_PASSWORD
from sms.models import Message

pytestmark = pytest.mark.browser

PHONE = "+491795550001"


def _sign_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Sign In").click()


def _sell(page, amount: str, *, new: bool, screenshot=None, prefix: str = "") -> None:
    page.get_by_text(f"{amount} EUR", exact=True).click()
    if screenshot:
        screenshot(page, f"{prefix}01-recharge-form")
    page.get_by_role("button", name=re.compile("Continue")).click()
    expect(page.get_by_test_id("customer-new" if new else "customer-known")).to_be_visible()
    expect(page.get_by_test_id("confirm-amount")).to_have_text(f"{amount}.00 EUR")
    if screenshot:
        screenshot(page, f"{prefix}02-recharge-confirm")
    name = "Register and recharge" if new else "Recharge"
    page.get_by_role("button", name=name, exact=True).click()
    expect(page.get_by_test_id("recharge-done")).to_be_visible()
    if screenshot:
        screenshot(page, f"{prefix}03-recharge-done")


def test_register_recharge_sms_and_portal(live_server, transactional_db, page, screenshot):
    call_command("demo_data", stdout=io.StringIO())
    base = live_server.url

    _sign_in(page, base, "user@alpha.test", DEMO_PASSWORD)
    page.locator("#sidebar").get_by_role("link", name="Register / Recharge").click()
    page.locator('input[name="phone"]').fill("0049 179 5550001")
    _sell(page, "10", new=True, screenshot=screenshot, prefix="sales-")
    expect(page.get_by_test_id("done-commission")).to_contain_text("EUR")

    welcome = Message.objects.get(recipient=PHONE, template="customer_welcome")
    assert welcome.status == Message.Status.SENT  # the database inbox, after commit
    password = re.search(r"Passwor[dt]: (\S+)", welcome.body).group(1)

    page.locator("#sidebar").get_by_role("link", name=re.compile("Customers")).click()
    page.locator('input[name="q"]').fill("5550001")
    page.get_by_role("button", name=re.compile("Filter")).click()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    screenshot(page, "sales-04-customer-list")
    page.get_by_role("link", name=PHONE).click()
    expect(page.get_by_test_id("customer-balance")).to_have_text("10.00 EUR")
    expect(page.get_by_test_id("customer-messages")).to_contain_text("Sign-in details")
    screenshot(page, "sales-05-customer-detail")

    page.get_by_test_id("action-recharge").click()
    expect(page.locator('input[name="phone"]')).to_have_value(PHONE)
    _sell(page, "20", new=False)
    recharged = Message.objects.get(recipient=PHONE, template="customer_recharged")
    assert "30,00 EUR" in recharged.body or "30.00 EUR" in recharged.body
    page.goto(base + "/accounts/logout/")
    page.get_by_role("button", name=re.compile("Sign Out")).click()

    _sign_in(page, base, "0049 179 5550001", password)
    expect(page.get_by_test_id("password-forced")).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text(f"Successfully signed in as {PHONE}")
    expect(page.get_by_test_id("user-menu")).to_have_text(PHONE)
    screenshot(page, "sales-06-portal-password")
    page.locator('input[name="old_password"]').fill(password)
    page.locator('input[name="new_password1"]').fill("My-own-pass-2026")
    page.locator('input[name="new_password2"]').fill("My-own-pass-2026")
    page.get_by_role("button", name=re.compile("Save the new password")).click()
    expect(page.get_by_test_id("portal-balance")).to_have_text("30.00 EUR")
    screenshot(page, "sales-07-portal")
    page.get_by_role("link", name="Profile and language").click()
    screenshot(page, "sales-08-portal-profile")
    assert not Customer.objects.get(phone=PHONE).password_change_required
    assert page.problems == []
