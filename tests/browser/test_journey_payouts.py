"""Journey (issue 15): a reseller's commission paid out by SEPA credit transfer. A German
Admin with 120.00 of commission credit asks for 80.00 to its bank account (a wrong IBAN
first: told on the field, nothing moves); operator staff approve it, export the SEPA file
(downloaded: it validates against pain.001.001.03 and carries the 80.00) and confirm it
paid; the reseller sees the payout "Paid" and 40.00 of credit left.

Every page is screenshotted at 1280 px and 390 px and must fit the phone's width.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from playwright.sync_api import expect

from accounts.models import Role
from ledger.verify import ledger_verify
from payments.bank.sepa import XSD
from payments.models import Payout
from tests.browser.conftest import (
    DESKTOP_VIEWPORT,
    MOBILE_VIEWPORT,
    _new_page,
    assert_fits,
    money,
    sidebar_link,
    take_screenshot,
    totp_code,
)
from tests.browser.conftest import sign_in as _sign_in
from tests.factories import PASSWORD, MembershipFactory, ResellerFactory, StaffFactory
from tests.payments.payouts import commission, earn_commission, header_totals

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _shots(page, name: str) -> None:
    """The page at 1280 px and at 390 px (which it must fit), then back to the desktop."""
    take_screenshot(page, f"{name}-1280")
    page.set_viewport_size(MOBILE_VIEWPORT)
    take_screenshot(page, f"{name}-390")
    assert_fits(page)
    page.set_viewport_size(DESKTOP_VIEWPORT)


def _accept_dialogs(page) -> None:
    """Forms that ask before they are sent (data-confirm): the person says yes."""
    page.on("dialog", lambda dialog: dialog.accept())


def test_reseller_is_paid_its_commission(live_server, transactional_db, browser, page):
    base = live_server.url
    reseller = ResellerFactory(name="Rhein Telecom", currency="EUR")
    earn_commission(reseller, "120.00")
    MembershipFactory(reseller=reseller, role=Role.ADMIN, user__email="anna@rhein.test")
    _sign_in(page, base, "anna@rhein.test", PASSWORD)
    expect(page).to_have_url(re.compile(r"/r/$"))

    sidebar_link(page, "Payouts").click()
    expect(page).to_have_url(re.compile(r"/r/payouts/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Payouts")
    assert money(page.get_by_test_id("payout-available").inner_text()) == Decimal("120.00")
    assert money(page.get_by_test_id("payout-minimum").inner_text()) == Decimal("25.00")
    _shots(page, "payouts-01-reseller-form")

    form = page.get_by_test_id("payout-form")
    form.locator('input[name="amount"]').fill("80.00")
    form.get_by_label("Account holder").fill("Rhein Telecom GmbH")
    form.get_by_label("IBAN").fill("DE02 1203 0000 0000 2020 52")  # one digit wrong
    form.get_by_label("BIC (optional)").fill("BYLADEM1001")
    page.get_by_test_id("payout-submit").click()
    expect(page.locator("main")).to_contain_text("This is not a valid IBAN")
    assert not Payout.objects.exists()
    _shots(page, "payouts-02-reseller-iban-error")

    page.get_by_test_id("payout-form").get_by_label("IBAN").fill("DE02 1203 0000 0000 2020 51")
    page.get_by_test_id("payout-submit").click()
    expect(page).to_have_url(re.compile(r"/r/payouts/\d+/$"))
    expect(page.get_by_test_id("payout-status")).to_have_text("Requested")
    expect(page.get_by_test_id("payout-iban")).to_have_text("DE02 1203 0000 0000 2020 51")
    payout = Payout.objects.get()
    assert payout.amount == Decimal("80.00")
    assert commission(reseller) == Decimal("40.0000")
    _shots(page, "payouts-03-reseller-requested")

    # Operator staff approve, export and confirm
    staff = StaffFactory(email="kai@operator.test")
    context, staff_page = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    try:
        _accept_dialogs(staff_page)
        _sign_in(staff_page, base, staff.email, PASSWORD)
        expect(staff_page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        staff_page.locator('input[name="code"]').fill(totp_code(staff.totp_secret))
        staff_page.get_by_role("button", name="Sign In").click()
        expect(staff_page).to_have_url(re.compile(r"/staff/$"))

        sidebar_link(staff_page, "Payouts").click()
        expect(staff_page).to_have_url(re.compile(r"/staff/payouts/$"))
        expect(staff_page.get_by_test_id(f"payout-status-{payout.pk}")).to_have_text("Requested")
        _shots(staff_page, "payouts-04-staff-list")
        staff_page.get_by_role("link", name=payout.reference).click()
        expect(staff_page).to_have_url(re.compile(rf"/staff/payouts/{payout.pk}/$"))
        _shots(staff_page, "payouts-05-staff-detail")
        staff_page.get_by_test_id("payout-approve").click()
        expect(staff_page.get_by_test_id("payout-status")).to_have_text("Approved")

        sidebar_link(staff_page, "Payouts").click()
        expect(staff_page.get_by_test_id("payouts-ready")).to_contain_text("1")
        staff_page.get_by_test_id("payouts-export").click()
        expect(staff_page).to_have_url(re.compile(r"/staff/payouts/batches/\d+/$"))
        expect(staff_page.get_by_test_id("batch-count")).to_have_text("1")
        assert money(staff_page.get_by_test_id("batch-total").inner_text()) == Decimal("80.00")
        _shots(staff_page, "payouts-06-staff-file")

        with staff_page.expect_download() as download:
            staff_page.get_by_test_id("batch-download").click()
        content = Path(download.value.path()).read_bytes()
        xmlschema.XMLSchema(str(XSD)).validate(content.decode())
        assert header_totals(content) == (1, Decimal("80.00"))
        assert b"<IBAN>DE02120300000000202051</IBAN>" in content  # the reseller's account
        assert b"<IBAN>DE89370400440532013000</IBAN>" in content  # the operator's
        assert payout.end_to_end_id.encode() in content

        staff_page.get_by_test_id("batch-confirm").click()
        expect(staff_page.get_by_test_id("batch-status")).to_have_text("Paid")
        _shots(staff_page, "payouts-07-staff-file-paid")
        staff_page.goto(base + "/staff/payouts/batches/")
        _shots(staff_page, "payouts-08-staff-files")
        assert staff_page.problems == []
    finally:
        context.close()

    page.reload()
    expect(page.get_by_test_id("payout-status")).to_have_text("Paid")
    expect(page.get_by_test_id("payout-paid-at")).to_be_visible()
    _shots(page, "payouts-09-reseller-paid")
    sidebar_link(page, "Payouts").click()
    expect(page.get_by_test_id(f"payout-status-{payout.pk}")).to_have_text("Paid")
    assert money(page.get_by_test_id("payout-available").inner_text()) == Decimal("40.00")
    _shots(page, "payouts-10-reseller-list")

    assert ledger_verify().clean
    # The one refusal was the wrong IBAN (400 with the form again); nothing else went wrong.
    refused = [p for p in page.problems if p.startswith("HTTP 400") and "/r/payouts/request/" in p]
    assert len(refused) == 1
    assert [p for p in page.problems if p not in refused] == []
