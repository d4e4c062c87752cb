"""Journey: operator staff sign in with a TOTP code, suspend a reseller and read the audit log;
the suspended reseller's Admin then sees why and nothing else; an end customer sees the portal."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from audit.models import AuditEvent
from resellers.models import Reseller
from tests.browser.conftest import language_choose, totp_code
from tests.browser.conftest import sign_in as _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_staff_suspend_a_reseller_whose_admin_then_sees_the_block(
    live_server, transactional_db, page, browser, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    base = live_server.url

    _sign_in(page, base, "operator@tessera.test")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    screenshot(page, "operator-01-totp")
    page.locator('input[name="code"]').fill(totp_code())
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_test_id("status-approved")).to_have_text("3")
    screenshot(page, "operator-02-overview")

    page.locator("#sidebar").get_by_role("link", name=re.compile("Resellers")).click()
    page.locator('select[name="status"]').select_option("approved")
    page.get_by_role("button", name=re.compile("Filter")).click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(3)
    screenshot(page, "operator-03-reseller-list")

    page.get_by_role("link", name="Baltic Voice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Baltic Voice")
    page.locator('input[name="reason"]').fill("Unpaid invoice 2026-0042")
    page.get_by_role("button", name=re.compile("Suspend")).click()
    expect(page.locator(".alert-success")).to_contain_text("Baltic Voice is suspended")
    expect(page.get_by_test_id("reseller-status")).to_have_text("Suspended")
    screenshot(page, "operator-04-reseller-suspended")
    assert Reseller.objects.get(slug="baltic").status == Reseller.Status.SUSPENDED

    page.locator("#sidebar").get_by_role("link", name=re.compile("Audit log")).click()
    page.locator('input[name="action"]').fill("reseller.sus")
    page.get_by_role("button", name=re.compile("Filter")).click()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table")).to_contain_text("Unpaid invoice 2026-0042")
    screenshot(page, "operator-05-audit-log")
    assert AuditEvent.objects.filter(action="reseller.suspended").count() == 1

    # The suspended reseller's Admin, in a browser of their own.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    admin = context.new_page()
    _sign_in(admin, base, "admin@baltic.test")
    blocked = admin.get_by_test_id("reseller-blocked")
    expect(blocked).to_contain_text("Baltic Voice is suspended")
    expect(blocked).to_contain_text("Unpaid invoice 2026-0042")
    expect(admin.locator("#sidebar")).to_have_count(1)
    admin.goto(base + "/r/customers/")
    expect(admin.get_by_test_id("reseller-blocked")).to_be_visible()
    screenshot(admin, "operator-06-admin-sees-suspension")
    context.close()
    assert page.problems == []


def test_end_customer_sees_the_portal(live_server, transactional_db, page, screenshot):
    call_command("demo_data", stdout=io.StringIO())
    _sign_in(page, live_server.url, "customer@alpha.test")
    expect(page).to_have_url(re.compile(r"/my/$"))
    # The demo customer has a German number: the portal speaks German to them ...
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("main")).to_contain_text("Ihr Konto wird von Alpha Telecom betreut")
    # ... until they choose English in the language menu, which is kept as their setting.
    language_choose(page, "en")
    expect(page.locator("main")).to_contain_text("Your account is served by Alpha Telecom")
    expect(page.locator("main")).to_contain_text("+491701234567")
    sidebar = page.locator("#sidebar")
    expect(sidebar.locator("a.nav-link")).to_have_text(["Overview", "Profile"])
    screenshot(page, "customer-01-portal")
    assert page.problems == []
