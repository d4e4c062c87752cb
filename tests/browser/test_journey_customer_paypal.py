"""Journey (issue 15): a customer on a phone tops up 20.00 with PayPal (through the fake),
gets the new-balance SMS, and the reseller sees the sale and its commission in its cashbook.

The customer signs in to the portal on a 390 px phone, chooses 20.00 and "Top up with PayPal",
continues to PayPal's page (the loopback fake of PayPal Payments Standard, on another origin)
and pays. The fake posts its IPN to the reseller's notify_url on the live server
(payments:paypal-ipn) from a background thread, as PayPal does; the portal verifies it by
postback to the fake and credits the payment (tasks run eagerly on commit), while the status
page PayPal sent the customer back to polls until it shows the credit and the new balance.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from customers.selectors import portal_balance
from ledger.verify import ledger_verify
from payments.fakes.paypal_ipn import FakePayPalIpn
from payments.fakes.server import serve
from payments.models import CustomerPayment, ResellerPaypal
from sms.models import Message
from tests.browser.conftest import (
    DESKTOP_VIEWPORT,
    _new_page,
    assert_fits,
    money,
    sidebar_link,
    sign_in,
)
from tests.factories import PASSWORD, CustomerUserFactory, MembershipFactory
from tests.payments.helpers import german_reseller
from tests.world import fund

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "+4917055501234"
RECEIVER = "sb-kiosk-nord@business.example.com"
MERCHANT = "S8XGHLYDW9T3S"


@pytest.fixture
def paypal_fake(live_server, settings):
    """PayPal Payments Standard's fake on a loopback port: the portal's form posts to its
    checkout, and its postback verifies the IPNs it sent."""
    fake = FakePayPalIpn(merchant_ids={RECEIVER: MERCHANT})
    running = serve({"paypal-ipn": fake})
    settings.PAYPAL_STANDARD_URL = f"{running.base_url}/paypal-ipn/cgi-bin/webscr"
    settings.PAYPAL_IPN_VERIFY_URL = f"{running.base_url}/paypal-ipn/cgi-bin/webscr"
    yield fake
    running.stop()


def _shop():
    reseller = german_reseller(name="Kiosk Nord", commission_rate=Decimal("10.00"))
    fund(reseller, net="100.00", vat="19.00")  # sales credit to sell from
    ResellerPaypal.objects.create(
        reseller=reseller,
        receiver_email=RECEIVER,
        merchant_id=MERCHANT,
        enabled=True,
        notify_token="kiosk-nord-notify-token-0123456789abcdef",
    )
    admin = MembershipFactory(
        reseller=reseller, role=Role.ADMIN, user__email="anna@kiosk-nord.test"
    ).user
    customer = CustomerUserFactory(
        reseller=reseller, phone=PHONE, language="en", user__language="en"
    )
    return reseller, admin, customer


def test_a_customer_tops_up_with_paypal_on_a_phone(
    live_server, transactional_db, paypal_fake, mobile_page, browser, screenshot
):
    page, base = mobile_page, live_server.url
    _reseller, admin, customer = _shop()

    sign_in(page, base, PHONE, PASSWORD)  # the mobile number is the username
    expect(page).to_have_url(re.compile(r"/my/$"))
    assert money(page.get_by_test_id("portal-balance").inner_text()) == 0
    assert_fits(page)
    page.get_by_test_id("portal-topup").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Top up")
    assert_fits(page)
    page.get_by_text("€20.00", exact=True).click()
    screenshot(page, "customer-paypal-01-top-up-390")
    page.get_by_test_id("topup-paypal").click()

    expect(page).to_have_url(re.compile(r"/my/top-up/CP[A-Z2-7]{12}/paypal/$"))
    payment = CustomerPayment.objects.get(customer=customer)
    assert (payment.amount, payment.status) == (Decimal("20"), CustomerPayment.Status.CREATED)
    assert money(page.get_by_test_id("paypal-summary-amount").inner_text()) == Decimal("20.00")
    assert_fits(page)
    screenshot(page, "customer-paypal-02-continue-390")
    page.get_by_test_id("paypal-continue").click()

    # PayPal's page (the fake, on another origin)
    expect(page.get_by_role("heading", level=1)).to_have_text("PayPal (test)")
    expect(page.get_by_test_id("paypal-amount")).to_have_text("20.00 EUR")
    expect(page.get_by_test_id("paypal-receiver")).to_have_text(RECEIVER)
    expect(page.get_by_test_id("paypal-invoice")).to_have_text(payment.reference)
    screenshot(page, "customer-paypal-03-fake-paypal-390")
    page.get_by_role("button", name="Pay now").click()

    # Back on the portal's status page, which PayPal's `return` names.
    expect(page).to_have_url(re.compile(rf"/my/top-up/{payment.reference}/$"))
    (ipn,) = paypal_fake.wait_sent(1)
    assert ipn.url == f"{base}/ipn/paypal/{ResellerPaypal.objects.get().notify_token}/"
    assert ipn.status == 200
    card = page.get_by_test_id("topup-status-card")
    expect(card).to_have_attribute("data-status", "credited", timeout=20_000)
    expect(page.get_by_test_id("topup-status")).to_have_text("Credited to your balance.")
    assert money(page.get_by_test_id("topup-balance").inner_text()) == Decimal("20.00")
    assert_fits(page)
    screenshot(page, "customer-paypal-04-credited-390")

    payment.refresh_from_db()
    assert payment.status == CustomerPayment.Status.CREDITED
    assert payment.provider_payment_id and payment.recharge is not None
    assert portal_balance(customer=customer) == Decimal("20")
    # The new-balance SMS, as after any recharge.
    sms = Message.objects.get(recipient=PHONE, template="customer_recharged")
    assert "20" in sms.body
    page.goto(base + "/my/")
    assert money(page.get_by_test_id("portal-balance").inner_text()) == Decimal("20.00")

    # The reseller's Admin finds the sale and its commission in the cashbook.
    context, admin_page = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    try:
        sign_in(admin_page, base, admin.email, PASSWORD)
        expect(admin_page).to_have_url(re.compile(r"/r/$"))
        sidebar_link(admin_page, "Cashbook").click()
        expect(admin_page.get_by_test_id("total-sold")).to_contain_text("20.00")
        assert money(admin_page.get_by_test_id("total-commission").inner_text()) == Decimal("2.00")
        rows = admin_page.locator("main table tbody tr", has_text="2.00")
        expect(rows.first).to_contain_text("20.00")
        screenshot(admin_page, "customer-paypal-05-cashbook")
        assert admin_page.problems == []
    finally:
        context.close()

    assert ledger_verify().clean
    assert page.problems == []
