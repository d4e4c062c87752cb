"""Journey: a reseller Admin brands the portal, gets an own hostname (DNS check, fee), and the
customers' sign-in page on that host shows the branding; a User asks for posters, operator
staff put them in production and the reseller sees it."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from accounts.models import Role
from ledger.models import LedgerTransaction
from ledger.verify import ledger_verify
from resellers.branding import contrast_ratio
from resellers.models import AdvertisingRequest, ResellerHostname
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP_VIEWPORT,
    MOBILE_VIEWPORT,
    assert_fits,
    watch_context,
)
from tests.factories import (
    PASSWORD,
    CustomerUserFactory,
    MembershipFactory,
    ResellerFactory,
    StaffFactory,
)
from tests.resellers.fake_dns import fake_dns  # noqa: F401 (fixture)
from tests.world import fund

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOST = "portal.acme.test"


@pytest.fixture
def media_served(settings, tmp_path):
    """Logos on disk under tmp_path, served at /media/ by the live server."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": "/media/"},
        },
    }
    settings.ROOT_URLCONF = "tests.browser.media_urls"


def _logo(tmp_path) -> str:
    image = Image.new("RGBA", (240, 80), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, 76, 76), radius=16, fill="#f4d03f")
    draw.ellipse((22, 22, 58, 58), fill="#0b5345")
    draw.rectangle((92, 30, 232, 50), fill="#f4d03f")
    path = tmp_path / "acme-logo.png"
    image.save(path)
    return str(path)


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url + "/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def _sign_out(page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name=re.compile("Sign out")).click()


def test_branding_hostname_and_advertising(
    live_server,
    transactional_db,
    page,
    screenshot,
    fake_dns,  # noqa: F811 (the fixture imported above)
    media_served,
    tmp_path,
):
    reseller = ResellerFactory(
        name="Acme Telecom",
        legal_name="Acme Telecom GmbH",
        address_line="Hauptstraße 5",
        postal_code="10115",
        city="Berlin",
    )
    fund(reseller, net="50.00", vat="9.50")
    admin = MembershipFactory(reseller=reseller, role=Role.ADMIN).user
    user = MembershipFactory(reseller=reseller, role=Role.USER).user
    customer = CustomerUserFactory(reseller=reseller, name="Jana Kowalska", language="en")
    staff = StaffFactory()
    base = live_server.url

    # --- The Admin brands the portal ----------------------------------------------------------
    _sign_in(page, base, admin.email)
    page.locator("#sidebar").get_by_role("link", name=re.compile("Branding")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Branding")
    page.locator('input[name="display_name"]').fill("Acme Mobile")
    page.locator('input[name="logo"]').set_input_files(_logo(tmp_path))
    page.locator('input[name="header_colour"]').fill("#0b5345")
    page.locator('input[name="background_colour"]').fill("#f4f6f6")
    page.locator('input[name="text_colour"]').fill("#17202a")
    page.get_by_role("button", name=re.compile("Save branding")).click()
    expect(page.locator(".alert-success")).to_contain_text("Your branding is saved.")
    expect(page.get_by_test_id("current-logo")).to_be_visible()
    expect(page.get_by_test_id("brand-preview")).to_contain_text("Acme Mobile")
    screenshot(page, "branding-01-saved")

    # Poor contrast: refused, with the ratio and what to change, on the text colour field.
    page.locator('input[name="text_colour"]').fill("#b2babb")
    # The preview and the contrast follow the colour before it is saved.
    expect(page.locator("#contrast-ratio")).to_have_text(
        f"{contrast_ratio('#f4f6f6', '#b2babb'):.2f}"
    )
    expect(page.locator("#preview-body")).to_have_css("color", "rgb(178, 186, 187)")
    page.get_by_role("button", name=re.compile("Save branding")).click()
    error = page.locator("#id_text_colour_error")
    expect(error).to_contain_text("has a contrast of only 1.82:1")
    expect(error).to_contain_text("Choose a darker text colour or a lighter background colour.")
    expect(page.locator('input[name="text_colour"]')).to_have_attribute("aria-invalid", "true")
    screenshot(page, "branding-02-contrast-refused")
    page.locator('input[name="text_colour"]').fill("#17202a")
    page.get_by_role("button", name=re.compile("Save branding")).click()
    expect(page.locator(".alert-info")).to_contain_text("Nothing changed.")  # none was saved

    # --- Own hostname: ask, check DNS (not there, then right), activate -----------------------
    page.locator('input[name="hostname"]').fill("https://portal.acme.test/")
    page.get_by_role("button", name="Ask for this host name").click()
    expect(page.locator(".alert-danger")).to_contain_text("without http://")
    page.locator('input[name="hostname"]').fill(HOST)
    page.get_by_role("button", name="Ask for this host name").click()
    expect(page.get_by_test_id("hostname-status")).to_have_text("Waiting for DNS")
    page.get_by_role("button", name=re.compile("Check DNS")).click()
    expect(page.locator(".alert-danger")).to_contain_text("does not resolve yet")
    expect(page.get_by_test_id("dns-records")).to_contain_text("203.0.113.10")
    screenshot(page, "branding-03-hostname-pending")

    fake_dns[HOST] = ["203.0.113.10"]
    page.get_by_role("button", name=re.compile("Check DNS")).click()
    expect(page.get_by_test_id("hostname-status")).to_have_text("DNS verified")
    screenshot(page, "branding-04-hostname-verified")
    page.get_by_role("button", name=re.compile("Activate for €10.00")).click()
    expect(page.get_by_test_id("hostname-status")).to_have_text("Active")
    screenshot(page, "branding-05-hostname-active")
    fee = LedgerTransaction.objects.get(kind="fee")
    assert fee.entries.get(amount__lt=0).amount == Decimal("-10.0000")
    assert ResellerHostname.objects.get().status == "active"
    assert page.problems == []

    # --- The customers' sign-in page on the reseller's host is branded -------------------------
    port = urlsplit(base).port
    own = page.context.browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP *.acme.test 127.0.0.1"],
    )
    try:
        context = watch_context(own.new_context(viewport=DESKTOP_VIEWPORT, locale="en-GB"))
        branded = context.new_page()
        branded.goto(f"http://{HOST}:{port}/accounts/login/")
        expect(branded.get_by_test_id("brand-name")).to_have_text("Acme Mobile")
        expect(branded).to_have_title(re.compile(r"· Acme Mobile$"))
        logo = branded.locator("nav img.brand-logo")
        expect(logo).to_be_visible()
        assert logo.evaluate("img => img.naturalWidth") == 240
        header = branded.locator("nav.navbar").evaluate("n => getComputedStyle(n).backgroundColor")
        assert header == "rgb(11, 83, 69)"
        screenshot(branded, "branding-06-login-on-own-host")
        branded.locator('input[name="login"]').fill(customer.user.email)
        branded.locator('input[name="password"]').fill(PASSWORD)
        branded.get_by_role("button", name="Sign In").click()
        expect(branded.get_by_role("heading", level=1)).to_contain_text("Hello")
        expect(branded.get_by_test_id("brand-name")).to_have_text("Acme Mobile")
        screenshot(branded, "branding-07-customer-on-own-host")
        # A host nobody registered is refused.
        answer = branded.goto(f"http://unknown.acme.test:{port}/accounts/login/")
        assert answer.status == 400
        context.close()
        phone = watch_context(
            own.new_context(viewport=MOBILE_VIEWPORT, is_mobile=True, device_scale_factor=2)
        )
        small = phone.new_page()
        small.goto(f"http://{HOST}:{port}/accounts/login/")
        expect(small.locator("nav img.brand-logo")).to_be_visible()
        assert_fits(small)
        screenshot(small, "branding-08-login-on-own-host-phone")
        phone.close()
    finally:
        own.close()

    # --- A User asks for posters ---------------------------------------------------------------
    _sign_out(page)
    _sign_in(page, base, user.email)
    page.locator("#sidebar").get_by_role("link", name=re.compile("Advertising material")).click()
    page.get_by_role("link", name=re.compile("Ask for leaflets or posters")).click()
    page.locator('select[name="kind"]').select_option("poster")
    page.locator('input[name="quantity"]').fill("500")
    page.get_by_role("button", name=re.compile("Send request")).click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Order between 1 and 100 posters.")
    screenshot(page, "advertising-01-form-error")
    page.locator('input[name="quantity"]').fill("20")
    page.locator('textarea[name="note"]').fill("A2, German and Polish")
    page.get_by_role("button", name=re.compile("Send request")).click()
    item = AdvertisingRequest.objects.get()
    expect(page.locator(".alert-success")).to_contain_text(f"Request #{item.pk} is sent")
    expect(page.get_by_test_id("advertising-status")).to_have_text("Requested")
    screenshot(page, "advertising-02-detail")

    # --- Operator staff put it in production ---------------------------------------------------
    _sign_out(page)
    _sign_in(page, base, staff.email)
    code = format_hotp_value(hotp_value(staff.totp_secret, int(time.time()) // 30))
    page.locator('input[name="code"]').fill(code)
    page.get_by_role("button", name="Sign In").click()
    page.locator("#sidebar").get_by_role("link", name=re.compile("Advertising material")).click()
    page.locator('select[name="status"]').select_option("requested")
    page.get_by_role("button", name=re.compile("Filter")).click()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    screenshot(page, "advertising-03-staff-queue")
    page.get_by_role("link", name=f"#{item.pk}", exact=True).click()
    page.locator('select[name="status"]').select_option("in_production")
    page.locator('input[name="note"]').fill("Printing this week")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator(".alert-success")).to_contain_text("now “In production”")
    screenshot(page, "advertising-04-staff-detail")

    # --- The reseller sees the update ----------------------------------------------------------
    _sign_out(page)
    _sign_in(page, base, user.email)
    page.locator("#sidebar").get_by_role("link", name=re.compile("Advertising material")).click()
    expect(page.locator("main table tbody")).to_contain_text("In production")
    expect(page.locator("main table tbody")).to_contain_text("Printing this week")
    screenshot(page, "advertising-05-reseller-list")
    assert page.problems == []
    assert ledger_verify().clean
