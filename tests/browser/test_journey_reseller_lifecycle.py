"""Journey (issue 4): the whole life of a new reseller in one go.

A company finds "Become a reseller" on the sign-in page and applies (the fake VIES says its VAT
ID is valid); until approved it sees only its application. Operator staff (signed in with a
TOTP code) approve it from the review queue. The new Admin invites a User, who accepts and
reaches the Sales Panel but not the Users page. Staff allow the reseller sub-resellers and
credit a bank transfer; the Admin creates a sub-reseller, credits it and takes part back. Both
balances are checked on the pages of both sides.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from ledger.models import LedgerAccount
from ledger.selectors import reseller_balance
from ledger.verify import ledger_verify
from resellers.models import Reseller
from tests.browser.conftest import (
    DESKTOP_VIEWPORT,
    MOBILE_VIEWPORT,
    _new_page,
    application_fill,
    assert_fits,
    invitation_fill,
    sidebar_link,
    staff_sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SALES = LedgerAccount.Kind.SALES_CREDIT


def _sidebar_labels(page) -> list[str]:
    return [label.strip() for label in page.locator("#sidebar a.nav-link").all_inner_texts()]


def test_reseller_lifecycle(live_server, transactional_db, browser, page, screenshot, fake_vies):
    call_command("demo_data", stdout=io.StringIO())
    mail.outbox.clear()
    base = live_server.url
    shot = iter(range(1, 100))

    def snap(p, name: str) -> None:
        screenshot(p, f"lifecycle-{next(shot):02d}-{name}")

    # --- 1. The company applies ------------------------------------------------------------
    page.goto(base + "/accounts/login/")
    become = page.get_by_test_id("become-reseller")
    expect(become).to_be_visible()
    snap(page, "sign-in")
    become.get_by_role("link", name=re.compile("Become a reseller")).click()
    expect(page).to_have_url(re.compile(r"/apply/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply as a reseller")
    application_fill(page)
    snap(page, "apply-form")
    page.get_by_test_id("apply-form").get_by_role("button", name=re.compile("Apply")).click()

    expect(page).to_have_url(re.compile(r"/r/application/$"))
    expect(page.get_by_test_id("application-status")).to_have_text("Applied")
    expect(page.get_by_test_id("vies-status")).to_have_text("Valid")
    expect(page.locator("main")).to_contain_text("FAKE COMPANY GMBH")
    # Not approved yet: the sidebar offers the application and paying (held until approval),
    # nothing it cannot open.
    assert _sidebar_labels(page) == ["Company", "Add funds", "Payments", "Invoices"]
    snap(page, "application-applied")
    # The same status page on the applicant's phone (same session).
    phone_context, phone = _new_page(
        browser, viewport=MOBILE_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    phone_context.add_cookies(page.context.cookies())
    phone.goto(base + "/r/application/")
    expect(phone.get_by_test_id("application-status")).to_have_text("Applied")
    assert_fits(phone)
    snap(phone, "application-applied-phone")
    assert phone.problems == []
    phone_context.close()
    ostsee = Reseller.objects.get(legal_name="Ostsee Connect GmbH")
    assert ostsee.status == Reseller.Status.APPLIED

    # --- 2. Operator staff approve it from the queue ----------------------------------------
    staff_context, staff = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    staff_sign_in(staff, base)
    sidebar_link(staff, "Applications").click()
    row = staff.locator("main table tbody tr", has_text="Ostsee Connect GmbH")
    expect(row).to_contain_text("Valid")
    snap(staff, "staff-queue")
    row.get_by_role("link", name="Ostsee Connect GmbH").click()
    expect(staff.get_by_test_id("vat-treatment")).to_contain_text("Domestic VAT")
    expect(staff.locator("main")).to_contain_text("FAKE COMPANY GMBH")
    snap(staff, "staff-application")
    mail.outbox.clear()
    # The applicant has not confirmed the e-mail address yet: staff approve anyway, knowingly.
    expect(staff.get_by_test_id("approval-warnings")).to_contain_text("not confirmed")
    # The approval asks for the commission plan the reseller starts on.
    staff.get_by_label("Commission rate (%)", exact=True).fill("7.5")
    staff.get_by_test_id("approve-confirm").check()
    staff.get_by_role("button", name=re.compile("Approve")).click()
    expect(staff.locator(".alert-success")).to_contain_text("is approved")
    expect(staff.get_by_test_id("reseller-status")).to_have_text("Approved")
    snap(staff, "staff-approved")
    assert [m.to for m in mail.outbox] == [["lea@ostsee.test"]]

    # --- 3. The new Admin sells now and invites a User ----------------------------------------
    page.reload()
    expect(page.get_by_test_id("application-status")).to_have_text("Approved")
    assert {"Dashboard", "Customers", "Users", "Company"} <= set(_sidebar_labels(page))
    snap(page, "application-approved")
    sidebar_link(page, "Users").click()
    invite = page.get_by_test_id("invite-form")
    invite.locator('input[name="email"]').fill("tom@ostsee.test")
    invite.locator('select[name="role"]').select_option("user")
    invite.get_by_role("button", name=re.compile("Send invitation")).click()
    expect(page.locator(".alert-success")).to_contain_text("on its way to tom@ostsee.test")
    expect(page.get_by_test_id("invitation-tom@ostsee.test")).to_be_visible()
    snap(page, "admin-users")
    [invitation] = [m for m in mail.outbox if m.to == ["tom@ostsee.test"]]
    link = re.search(r"https?://\S+/invitation/[\w-]+/", invitation.body).group(0)

    # --- 4. The User joins: the Sales Panel yes, the Users page no -----------------------------
    tom_context, tom = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    invitation_fill(tom, link, first_name="Tom", last_name="Tide", password="tide-sells-2026")
    expect(tom.get_by_role("heading", level=1)).to_contain_text("Join Ostsee Connect")
    snap(tom, "user-invitation")
    tom.get_by_role("button", name="Create account and join").click()
    expect(tom.locator(".alert-success")).to_contain_text("You work here as User")
    expect(sidebar_link(tom, "Users")).to_have_count(0)
    expect(sidebar_link(tom, "Manage accounts")).to_have_count(0)
    sidebar_link(tom, "Customers").click()
    expect(tom.get_by_role("heading", level=1)).to_contain_text("Customers")
    snap(tom, "user-sales-panel")
    answer = tom.goto(base + "/r/users/")
    assert answer.status == 403
    expect(tom.get_by_test_id("error-403")).to_be_visible()
    snap(tom, "user-refused-users-page")
    tom_context.close()

    # --- 5. Staff allow sub-resellers and credit a bank transfer -------------------------------
    sidebar_link(staff, "Resellers").click()
    staff.get_by_role("link", name="Ostsee Connect").click()
    policy = staff.get_by_test_id("staff-policy-form")
    policy.locator('input[name="policy-may_create_subresellers"]').check()
    policy.get_by_role("button", name="Save").click()
    expect(staff.locator(".alert-success")).to_contain_text("sub-reseller settings are saved")
    credit = staff.get_by_test_id("staff-credit-form")
    credit.locator('select[name="credit-direction"]').select_option("credit")
    credit.locator('input[name="credit-amount"]').fill("200")
    credit.locator('input[name="credit-reason"]').fill("Bank transfer received 2026-11-22")
    credit.get_by_role("button", name="Post").click()
    expect(staff.locator(".alert-success")).to_contain_text("€200.00 credited to")
    expect(staff.get_by_test_id("staff-sales-credit")).to_have_text("€200.00")
    snap(staff, "staff-reseller-credited")

    # --- 6. The Admin creates a sub-reseller, credits it and takes part back -------------------
    sidebar_link(page, "Sub-resellers").click()
    page.get_by_role("link", name=re.compile("New sub-reseller")).click()
    page.locator('input[name="name"]').fill("Ostsee Kiosk Warnemünde")
    page.locator('input[name="legal_name"]').fill("Kiosk Warnemünde e.K.")
    page.locator('input[name="contact_email"]').fill("kiosk@ostsee.test")
    page.locator('input[name="commission_rate"]').fill("0")
    snap(page, "subreseller-create")
    page.get_by_role("button", name="Create sub-reseller").click()
    expect(page.locator(".alert-success")).to_contain_text("Ostsee Kiosk Warnemünde is created")
    kiosk = Reseller.objects.get(name="Ostsee Kiosk Warnemünde")
    assert kiosk.parent_id == ostsee.pk
    expect(page.get_by_test_id("child-sales-credit")).to_have_text("€0.00")
    expect(page.get_by_test_id("parent-sales-credit")).to_contain_text("€200.00")

    page.locator('input[name="amount"]').fill("80")
    page.locator('input[name="note"]').fill("Starting budget")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".alert-success")).to_contain_text("€80.00 moved to")
    expect(page.get_by_test_id("child-sales-credit")).to_have_text("€80.00")
    expect(page.get_by_test_id("parent-sales-credit")).to_contain_text("€120.00")

    page.locator('input[name="amount"]').fill("-80.01")
    page.locator('input[name="note"]').fill("Too much")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".invalid-feedback")).to_contain_text("The sub-reseller has only")
    expect(page.get_by_test_id("child-sales-credit")).to_have_text("€80.00")

    page.locator('input[name="amount"]').fill("-30")
    page.locator('input[name="note"]').fill("Kiosk closed for the winter")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".alert-success")).to_contain_text("€30.00 taken back from")
    expect(page.get_by_test_id("child-sales-credit")).to_have_text("€50.00")
    expect(page.get_by_test_id("parent-sales-credit")).to_contain_text("€150.00")
    history = page.get_by_test_id("credit-history")
    expect(history).to_contain_text("Starting budget")
    expect(history).to_contain_text("Kiosk closed for the winter")
    snap(page, "subreseller-credited-and-revoked")

    sidebar_link(page, "Manage accounts").click()
    expect(page.get_by_test_id("own-sales-credit")).to_have_text("€150.00")
    expect(page.get_by_test_id(f"account-{kiosk.slug}")).to_contain_text("€50.00")
    transfers = page.get_by_test_id("transfer-history")
    expect(transfers).to_contain_text("Starting budget")
    expect(transfers).to_contain_text("Kiosk closed for the winter")
    snap(page, "manage-accounts")

    # The sub-reseller's side, as operator staff see it: the same balance and both notes.
    staff.goto(f"{base}/staff/resellers/{kiosk.pk}/")
    expect(staff.get_by_test_id("staff-sales-credit")).to_have_text("€50.00")
    expect(staff.locator("main")).to_contain_text("Kiosk closed for the winter")
    expect(staff.locator("main")).to_contain_text("Starting budget")
    snap(staff, "staff-subreseller")
    assert staff.problems == []
    staff_context.close()

    assert reseller_balance(reseller=ostsee, kind=SALES) == Decimal("150.00")
    assert reseller_balance(reseller=kiosk, kind=SALES) == Decimal("50.00")
    assert page.problems == []
    assert ledger_verify().clean
