"""Journey (issue 13): resellers add funds. A German Admin pays 100.00 net by card on the fake
Stripe checkout and comes back to 100.00 of sales credit; a VIES-valid Polish Admin asks for
bank details (no VAT: reverse charge), downloads the proforma, and is credited 250.00 once
operator staff import the bank's CAMT.053 statement.

The providers are the loopback fakes (payments/fakes) on a real port, the portal's settings
point the real SDKs at them, and the fake Stripe posts its signed webhooks to the live server.
Every new page is screenshotted at 1280 px and 390 px and must fit the phone's width.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from ledger.verify import ledger_verify
from payments.fakes.paypal import FakePayPal
from payments.fakes.server import serve
from payments.fakes.stripe import FakeStripe
from payments.models import TopUp
from tests.browser.conftest import (
    DESKTOP_VIEWPORT,
    MOBILE_VIEWPORT,
    _new_page,
    assert_fits,
    language_choose,
    money,
    sidebar_link,
    take_screenshot,
    totp_code,
)
from tests.browser.conftest import sign_in as _sign_in
from tests.factories import PASSWORD, MembershipFactory, StaffFactory
from tests.ledger.pdf_text import pdf_text
from tests.payments.helpers import german_reseller, polish_vies_reseller
from tests.payments.portal import sales_credit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAMT_SAMPLE = Path(__file__).resolve().parents[1] / "payments" / "data" / "camt053_v08.xml"


@pytest.fixture
def payment_fakes(live_server, settings):
    """Fake Stripe and PayPal on a loopback port, the portal's settings pointed at them and
    their webhooks at the live server's webhook views."""
    stripe = FakeStripe(webhook_url=f"{live_server.url}/webhooks/stripe/")
    paypal = FakePayPal(webhook_url=f"{live_server.url}/webhooks/paypal/")
    running = serve({"stripe": stripe, "paypal": paypal})
    paypal.base_url = f"{running.base_url}/paypal"
    settings.STRIPE_SECRET_KEY = stripe.secret_key
    settings.STRIPE_WEBHOOK_SECRET = stripe.webhook_secret
    settings.STRIPE_API_BASE = f"{running.base_url}/stripe"
    settings.PAYPAL_CLIENT_ID = paypal.client_id
    settings.PAYPAL_CLIENT_SECRET = paypal.client_secret
    settings.PAYPAL_WEBHOOK_ID = paypal.webhook_id
    settings.PAYPAL_API_BASE = paypal.base_url
    settings.PAYMENT_METHODS = ["stripe", "paypal", "bank"]
    yield stripe
    running.stop()


def _shots(page, name: str) -> None:
    """The page at 1280 px and at 390 px (which it must fit), then back to the desktop."""
    take_screenshot(page, f"{name}-1280")
    page.set_viewport_size(MOBILE_VIEWPORT)
    take_screenshot(page, f"{name}-390")
    assert_fits(page)
    page.set_viewport_size(DESKTOP_VIEWPORT)


def _admin(reseller, email: str):
    return MembershipFactory(reseller=reseller, role=Role.ADMIN, user__email=email).user


def _sign_in_admin(page, base: str, email: str) -> None:
    _sign_in(page, base, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/r/$"))


def _ask_for(page, amount: str, method: str) -> None:
    """Add funds: type the amount, choose the method, Continue to the review."""
    sidebar_link(page, "Add funds").click()
    expect(page).to_have_url(re.compile(r"/r/funds/add/$"))
    page.locator('input[name="amount"]').fill(amount)
    page.get_by_label(method, exact=True).check()
    page.get_by_test_id("add-funds-review").click()
    expect(page.get_by_test_id("review")).to_be_visible()


def test_german_admin_adds_funds_by_card(live_server, transactional_db, payment_fakes, page):
    base = live_server.url
    reseller = german_reseller(name="Rhein Telecom")
    _admin(reseller, "anna@rhein.test")
    _sign_in_admin(page, base, "anna@rhein.test")
    assert money(page.get_by_test_id("sales-credit").inner_text()) == 0

    sidebar_link(page, "Add funds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add funds")
    page.locator('input[name="amount"]').fill("100.00")
    # htmx shows the price as the amount is typed
    expect(page.get_by_test_id("quote")).to_contain_text("119.00")
    page.get_by_label("Card", exact=True).check()
    _shots(page, "topup-01-add-funds")
    page.get_by_test_id("add-funds-review").click()

    assert money(page.get_by_test_id("review-net").inner_text()) == Decimal("100.00")
    assert money(page.get_by_test_id("review-vat").inner_text()) == Decimal("19.00")
    assert money(page.get_by_test_id("review-gross").inner_text()) == Decimal("119.00")
    _shots(page, "topup-02-review-card")
    page.get_by_test_id("add-funds-pay").click()

    # The fake's hosted checkout, on another origin
    expect(page).to_have_url(re.compile(r"/stripe/checkout/[^/]+$"))
    expect(page.get_by_test_id("amount")).to_contain_text("119.00")
    _shots(page, "topup-03-fake-checkout")
    page.get_by_role("button", name="Pay", exact=True).click()

    expect(page).to_have_url(re.compile(r"/r/payments/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text("Payment received")
    expect(page.get_by_test_id("topup-status")).to_have_text("Paid")
    assert money(page.get_by_test_id("topup-net").inner_text()) == Decimal("100.00")
    assert money(page.get_by_test_id("topup-gross").inner_text()) == Decimal("119.00")
    _shots(page, "topup-04-paid")

    page.goto(base + "/r/")
    assert money(page.get_by_test_id("sales-credit").inner_text()) == Decimal("100.00")
    topup = TopUp.objects.get(reseller=reseller)
    assert topup.status == TopUp.Status.PAID
    assert sales_credit(reseller) == Decimal("100.00")

    sidebar_link(page, "Payments").click()
    expect(page.locator("main")).to_contain_text(topup.reference)
    _shots(page, "topup-05-payments")

    # The same pages in German
    language_choose(page, "de")
    page.goto(base + "/r/funds/add/")
    page.locator('input[name="amount"]').fill("100.00")
    page.get_by_test_id("add-funds-review").click()
    expect(page.get_by_test_id("review-gross")).to_contain_text("119")
    _shots(page, "topup-06-review-de")
    page.goto(base + f"/r/payments/{topup.pk}/")
    _shots(page, "topup-07-paid-de")

    assert ledger_verify().clean
    assert page.problems == []


def test_polish_admin_pays_by_bank_transfer_and_staff_import_the_statement(
    live_server, transactional_db, payment_fakes, page, browser, tmp_path
):
    base = live_server.url
    reseller = polish_vies_reseller(name="Wisła Telekom")
    _admin(reseller, "ola@wisla.test")
    _sign_in_admin(page, base, "ola@wisla.test")
    if page.locator("html").get_attribute("lang") != "en":
        language_choose(page, "en")

    _ask_for(page, "250.00", "Bank transfer")
    assert money(page.get_by_test_id("review-net").inner_text()) == Decimal("250.00")
    assert money(page.get_by_test_id("review-vat").inner_text()) == 0
    assert money(page.get_by_test_id("review-gross").inner_text()) == Decimal("250.00")
    expect(page.locator("main")).to_contain_text(re.compile("reverse charge", re.I))
    assert "Reverse charge: Reverse charge" not in page.locator("main").inner_text()
    _shots(page, "topup-11-review-bank")
    page.get_by_role("button", name=re.compile("Get bank details")).click()

    expect(page).to_have_url(re.compile(r"/r/payments/\d+/$"))
    topup = TopUp.objects.get(reseller=reseller)
    assert topup.gross == Decimal("250.00") and topup.vat == 0
    expect(page.get_by_test_id("bank-iban")).to_contain_text("DE89 3704 0044 0532 0130 00")
    reference = page.get_by_test_id("bank-reference").inner_text()
    assert reference.replace(" ", "") == topup.reference
    expect(page.locator(".epc-qr svg")).to_be_visible()
    _shots(page, "topup-12-bank-details")

    with page.expect_download() as download:
        page.get_by_test_id("proforma-download").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert topup.reference in re.sub(r"\s+", "", pdf_text(pdf))

    # Operator staff import the bank's statement
    staff = StaffFactory(email="kai@operator.test")
    context, staff_page = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    try:
        _sign_in(staff_page, base, staff.email, PASSWORD)
        expect(staff_page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        staff_page.locator('input[name="code"]').fill(totp_code(staff.totp_secret))
        staff_page.get_by_role("button", name="Sign In").click()
        expect(staff_page).to_have_url(re.compile(r"/staff/$"))

        staff_page.goto(base + "/staff/payments/statements/")
        _shots(staff_page, "topup-13-statements")
        camt = (
            CAMT_SAMPLE.read_text(encoding="utf-8")
            .replace("RF84T000105", topup.reference)
            .replace("1190.00", "250.00")
        )
        statement = tmp_path / "camt053-2026-11-28.xml"
        statement.write_text(camt, encoding="utf-8")
        staff_page.locator('input[name="file"]').set_input_files(str(statement))
        staff_page.get_by_role("button", name=re.compile("Import")).click()
        expect(staff_page).to_have_url(re.compile(r"/staff/payments/statements/\d+/$"))
        expect(staff_page.get_by_test_id("statement-summary")).to_be_visible()
        expect(staff_page.get_by_test_id("summary-matched")).to_have_text("1")
        expect(staff_page.get_by_test_id("statement-progress")).to_contain_text("100 %")
        _shots(staff_page, "topup-14-statement-summary")
        assert staff_page.problems == []
    finally:
        context.close()

    page.reload()
    expect(page.get_by_test_id("topup-status")).to_have_text("Paid")
    assert money(page.get_by_test_id("topup-net").inner_text()) == Decimal("250.00")
    expect(page.get_by_test_id("bank-details")).to_be_visible()
    expect(page.locator(".epc-qr")).to_have_count(0)  # nothing left to scan once paid
    _shots(page, "topup-15-bank-paid")
    page.goto(base + "/r/")
    assert money(page.get_by_test_id("sales-credit").inner_text()) == Decimal("250.00")
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup.vat == 0
    assert sales_credit(reseller) == Decimal("250.00")

    # The bank pages in German
    language_choose(page, "de")
    page.goto(base + f"/r/payments/{topup.pk}/")
    _shots(page, "topup-16-bank-paid-de")

    assert ledger_verify().clean
    assert page.problems == []
