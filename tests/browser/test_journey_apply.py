"""Journey: a company applies (with a typo in its VAT ID first), is signed in at once and sees
its application; the Sales Panel is refused until operator staff approve it from the review
queue (the fake VIES says valid); then the applicant sells."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from resellers.models import Reseller
from tests.browser.conftest import application_fill, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_apply_then_staff_approve(
    live_server, transactional_db, page, browser, screenshot, fake_vies
):
    call_command("demo_data", stdout=io.StringIO())
    base = live_server.url

    page.goto(base + "/apply/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply as a reseller")
    screenshot(page, "apply-01-form")
    application_fill(page, vat_id="DE 136 695 977")  # wrong check digit
    page.get_by_test_id("apply-form").get_by_role("button", name=re.compile("Apply")).click()
    expect(page.get_by_test_id("apply-errors")).to_be_visible()
    expect(page.locator(".invalid-feedback")).to_contain_text("the check digit is wrong")
    screenshot(page, "apply-02-invalid-vat-id")
    assert not Reseller.objects.filter(legal_name="Ostsee Connect GmbH").exists()

    form = page.get_by_test_id("apply-form")
    form.locator('input[name="vat_id"]').fill("DE 136 695 976")
    form.locator('input[name="password1"]').fill("ostsee-passphrase-2026")
    form.locator('input[name="password2"]').fill("ostsee-passphrase-2026")
    form.get_by_role("button", name=re.compile("Apply")).click()
    expect(page).to_have_url(re.compile(r"/r/application/$"))
    expect(page.get_by_test_id("application-status")).to_have_text("Applied")
    expect(page.get_by_test_id("vies-status")).to_have_text("Valid")
    expect(page.locator("main")).to_contain_text("FAKE COMPANY GMBH")
    screenshot(page, "apply-03-application-status")

    page.goto(base + "/r/customers/")
    expect(page.get_by_test_id("reseller-pending")).to_contain_text("is not approved yet")
    screenshot(page, "apply-04-sales-panel-refused")

    # Operator staff review the queue in a browser of their own.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    staff = context.new_page()
    staff_sign_in(staff, base)
    staff.locator("#sidebar").get_by_role("link", name=re.compile("Applications")).click()
    rows = staff.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Donau Mobil GmbH")  # 9 days old, highlighted
    expect(rows.first.locator(".text-bg-warning")).to_be_visible()
    screenshot(staff, "apply-05-staff-queue")
    staff.get_by_role("link", name="Ostsee Connect GmbH").click()
    expect(staff.get_by_test_id("vat-treatment")).to_contain_text("Domestic VAT")
    # The applicant has not confirmed the e-mail address: approving needs a confirmation.
    expect(staff.get_by_test_id("approval-warnings")).to_contain_text("not confirmed")
    screenshot(staff, "apply-06-staff-application")
    # The approval asks for the commission plan the reseller starts on.
    staff.get_by_label("Commission rate (%)", exact=True).fill("7.5")
    staff.get_by_test_id("approve-confirm").check()
    staff.get_by_role("button", name=re.compile("Approve")).click()
    expect(staff.locator(".alert-success")).to_contain_text("is approved")
    expect(staff.get_by_test_id("reseller-status")).to_have_text("Approved")
    screenshot(staff, "apply-07-staff-approved")
    staff.locator("#sidebar").get_by_role("link", name=re.compile("Reseller terms")).click()
    expect(staff.get_by_test_id("terms-current")).to_contain_text("The reseller sells")
    screenshot(staff, "apply-08-staff-terms")
    context.close()

    # The applicant can sell now.
    page.goto(base + "/r/customers/")
    expect(page.get_by_test_id("reseller-pending")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(base + "/r/application/")
    expect(page.get_by_test_id("application-status")).to_have_text("Approved")
    screenshot(page, "apply-09-application-approved")
    assert Reseller.objects.get(legal_name="Ostsee Connect GmbH").status == "approved"
    # Only the deliberate 403 of the refused Sales Panel page and the 200-with-errors form.
    assert [p for p in page.problems if "/r/customers/" not in p] == []
