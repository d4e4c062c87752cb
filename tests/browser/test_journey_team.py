"""Journey: the Alpha Telecom Admin invites a User, who accepts and reaches the Sales Panel but
not the Users page; the Admin then credits a sub-reseller, revokes part of it (and is stopped
from revoking more than the sub-reseller has); operator staff see the staff forms."""

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
    _new_page,
    invitation_fill,
    sidebar_link,
    sign_in,
    staff_sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SALES = LedgerAccount.Kind.SALES_CREDIT


def test_invite_a_user_then_credit_and_revoke_a_subreseller(
    live_server, transactional_db, browser, page, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    mail.outbox.clear()
    base = live_server.url

    # The Admin of Alpha Telecom (also Admin of Alpha Kiosk Nord) chooses Alpha Telecom.
    sign_in(page, base, "admin@alpha.test")
    page.locator("main .list-group button", has_text="Alpha Telecom").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Telecom")

    sidebar_link(page, "Users").click()
    expect(page.get_by_test_id("invitation-new.colleague@alpha.test")).to_be_visible()
    invite = page.get_by_test_id("invite-form")
    invite.locator('input[name="email"]').fill("not-an-address")
    invite.get_by_role("button", name=re.compile("Send invitation")).click()
    expect(page.locator(".invalid-feedback")).to_contain_text("valid email address")
    invite.locator('input[name="email"]').fill("sam@alpha.test")
    invite.locator('select[name="role"]').select_option("user")
    invite.get_by_role("button", name=re.compile("Send invitation")).click()
    expect(page.locator(".alert-success")).to_contain_text("on its way to sam@alpha.test")
    expect(page.get_by_test_id("invitation-sam@alpha.test")).to_be_visible()
    screenshot(page, "team-01-users")

    link = re.search(r"https?://\S+/invitation/[\w-]+/", mail.outbox[-1].body).group(0)

    # Sam opens the link in another browser, sets a name and a password, and is in.
    context, sam = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    invitation_fill(sam, link, first_name="Sam", last_name="Seller", password="sells-prepaid-2026")
    expect(sam.get_by_role("heading", level=1)).to_have_text("Join Alpha Telecom")
    screenshot(sam, "team-02-invitation-accept")
    sam.get_by_role("button", name="Create account and join").click()
    expect(sam.locator(".alert-success")).to_contain_text("You work here as User")
    expect(sidebar_link(sam, "Customers")).to_be_visible()
    expect(sidebar_link(sam, "Users")).to_have_count(0)
    expect(sidebar_link(sam, "Manage accounts")).to_have_count(0)
    screenshot(sam, "team-03-user-dashboard")
    sidebar_link(sam, "Customers").click()
    expect(sam.get_by_role("heading", level=1)).to_contain_text("Customers")
    answer = sam.goto(base + "/r/users/")
    assert answer.status == 403
    screenshot(sam, "team-04-user-refused")
    context.close()

    # The Admin sees Sam in the team, then opens Manage accounts.
    page.reload()
    expect(page.get_by_test_id("member-sam@alpha.test")).to_contain_text("User")
    sidebar_link(page, "Manage accounts").click()
    kiosk = Reseller.objects.get(slug="alpha-kiosk")
    alpha = Reseller.objects.get(slug="alpha")
    start_child = reseller_balance(reseller=kiosk, kind=SALES)
    start_parent = reseller_balance(reseller=alpha, kind=SALES)
    row = page.get_by_test_id("account-alpha-kiosk")
    expect(row).to_contain_text(f"€{start_child:,.2f}")
    expect(page.get_by_test_id("transfer-history")).to_contain_text("Starting budget (demo)")
    screenshot(page, "team-05-manage-accounts")

    row.get_by_role("link", name=re.compile("Add credits")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Kiosk Nord")
    page.locator('input[name="amount"]').fill("30")
    page.locator('input[name="note"]').fill("November budget")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".alert-success")).to_contain_text("€30.00 moved to Alpha Kiosk Nord")
    after_credit = start_child + 30
    expect(page.get_by_test_id("child-sales-credit")).to_have_text(f"€{after_credit:,.2f}")

    too_much = after_credit + 1
    page.locator('input[name="amount"]').fill(f"-{too_much:.2f}")
    page.locator('input[name="note"]').fill("Take it all")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".invalid-feedback")).to_contain_text("The sub-reseller has only")
    screenshot(page, "team-06-revoke-refused")
    assert reseller_balance(reseller=kiosk, kind=SALES) == after_credit

    page.locator('input[name="amount"]').fill("-12.50")
    page.locator('input[name="note"]').fill("Returned part of the budget")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".alert-success")).to_contain_text("€12.50 taken back")
    expect(page.get_by_test_id("child-sales-credit")).to_have_text(
        f"€{after_credit - Decimal('12.50'):,.2f}"
    )
    history = page.get_by_test_id("credit-history")
    expect(history).to_contain_text("Returned part of the budget")
    expect(history).to_contain_text("November budget")
    screenshot(page, "team-07-subreseller-detail")
    assert reseller_balance(reseller=alpha, kind=SALES) == start_parent - 30 + Decimal("12.50")

    # Alpha Telecom may create sub-resellers (demo data): the form is offered.
    sidebar_link(page, "Sub-resellers").click()
    screenshot(page, "team-08-subreseller-list")
    page.get_by_role("link", name=re.compile("New sub-reseller")).click()
    page.locator('input[name="name"]').fill("Alpha Späti Mitte")
    page.locator('input[name="legal_name"]').fill("Späti Mitte UG")
    page.locator('input[name="contact_email"]').fill("spaeti@example.test")
    page.locator('input[name="commission_rate"]').fill("12")
    page.get_by_role("button", name="Create sub-reseller").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("at most your own rate")
    screenshot(page, "team-09-subreseller-create")
    page.locator('input[name="commission_rate"]').fill("6")
    page.get_by_role("button", name="Create sub-reseller").click()
    expect(page.locator(".alert-success")).to_contain_text("Alpha Späti Mitte is created")
    assert page.problems == []

    # Operator staff: the sub-reseller policy and the credit/debit form on the reseller page.
    context, staff = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    staff_sign_in(staff, base)
    staff.goto(f"{base}/staff/resellers/{kiosk.pk}/")
    form = staff.get_by_test_id("staff-credit-form")
    form.locator('select[name="credit-direction"]').select_option("credit")
    form.locator('input[name="credit-amount"]').fill("100")
    form.locator('input[name="credit-reason"]').fill("Bank transfer received 2026-11-21")
    form.get_by_role("button", name="Post").click()
    expect(staff.locator(".alert-success")).to_contain_text("€100.00 credited to Alpha Kiosk Nord")
    expect(staff.locator("main")).to_contain_text("Bank transfer received 2026-11-21")
    screenshot(staff, "team-10-staff-reseller")
    assert staff.problems == []
    context.close()
    assert ledger_verify().clean
