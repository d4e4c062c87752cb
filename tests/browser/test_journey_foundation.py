"""Journey: a reseller Admin with two tenants signs in, chooses one, and switches to the other.

admin@alpha.test (demo data) is Admin of Alpha Telecom and of its sub-reseller Alpha Kiosk
Nord, so after signing in they must choose a reseller before the Sales Panel opens.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from customers.models import Customer
from tests.browser.conftest import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_PASSWORD = "tessera-demo-2026"  # config/management/commands/demo_data.py
ADMIN_EMAIL = "admin@alpha.test"


def _nav_link(sidebar, label: str):
    # By text, not by role name: the icon glyph (<i class="bi ...">, CSS ::before) ends up in
    # the link's accessible name, so get_by_role(name=..., exact=True) would not match.
    return sidebar.locator("a.nav-link", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def _sign_in_and_choose(page, base_url: str, *, email: str, reseller: str, screenshot=None):
    """From the front door to the dashboard of `reseller`, through login and tenant choice."""
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    login_form = page.locator("main form").filter(has=page.locator('input[name="login"]'))
    expect(login_form).to_be_visible()
    if screenshot:
        screenshot(page, "foundation-01-login")
    login_form.locator('input[name="login"]').fill(email)
    login_form.locator('input[name="password"]').fill(DEMO_PASSWORD)
    login_form.locator('button[type="submit"]').click()

    # Two memberships and no choice yet: /dashboard/ sends the user to the tenant choice.
    expect(page).to_have_url(re.compile(r"/tenant/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a reseller")
    choices = page.locator("main .list-group button[type=submit]")
    expect(choices).to_have_count(2)
    expect(choices.filter(has_text="Alpha Telecom")).to_contain_text("Admin")
    expect(choices.filter(has_text="Alpha Kiosk Nord")).to_contain_text("Admin")
    # No tenant chosen yet: the navbar menu says so (its label is hidden below 576 px).
    tenant_menu = page.get_by_test_id("tenant-menu")
    expect(tenant_menu).to_be_visible()
    if page.viewport_size["width"] >= 576:
        expect(tenant_menu).to_have_text(re.compile(r"Choose reseller"))
    if screenshot:
        screenshot(page, "foundation-02-choose-reseller")

    choices.filter(has_text=reseller).click()
    expect(page).to_have_url(re.compile(r"/r/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(reseller)


def test_admin_with_two_resellers_chooses_and_switches(
    live_server, transactional_db, page, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    base = live_server.url

    _sign_in_and_choose(
        page, base, email=ADMIN_EMAIL, reseller="Alpha Telecom", screenshot=screenshot
    )

    # The dashboard of Alpha Telecom, with the Admin's role and the tenant in the navbar.
    main = page.locator("main")
    expect(main.locator(".alert-success")).to_contain_text("You are now working in Alpha Telecom")
    expect(main).to_contain_text("Admin · Approved")
    expect(main).not_to_contain_text("sub-reseller of")
    expect(page.get_by_test_id("count-customers")).to_have_text(
        str(Customer.objects.filter(reseller__slug="alpha").count())
    )
    tenant_menu = page.get_by_test_id("tenant-menu")
    expect(tenant_menu).to_have_text(re.compile(r"Alpha Telecom"))
    # Desktop: the sidebar is shown, the toggler is not, and the dashboard link is current.
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_be_visible()
    expect(sidebar.locator('a[aria-current="page"]')).to_have_text("Dashboard")
    for label in ("Customers", "Sub-resellers", "Users"):
        expect(_nav_link(sidebar, label)).to_be_visible()
    # The page is styled: the navbar has Tessera's colour from static/css/tessera.css.
    navbar_bg = page.locator("nav.navbar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert navbar_bg == "rgb(31, 58, 95)"
    screenshot(page, "foundation-03-dashboard-alpha-telecom")

    # Switch through the navbar dropdown.
    tenant_menu.click()
    menu = page.locator(".dropdown-menu.show")
    expect(menu).to_be_visible()
    expect(menu.locator("button.dropdown-item.active")).to_contain_text("Alpha Telecom")
    screenshot(page, "foundation-04-tenant-menu-open")
    menu.get_by_role("button", name=re.compile(r"Alpha Kiosk Nord")).click()

    expect(page).to_have_url(re.compile(r"/r/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Kiosk Nord")
    expect(main.locator(".alert-success")).to_contain_text(
        "You are now working in Alpha Kiosk Nord"
    )
    expect(main).to_contain_text("sub-reseller of Alpha Telecom")
    expect(page.get_by_test_id("count-customers")).to_have_text(
        str(Customer.objects.filter(reseller__slug="alpha-kiosk").count())
    )
    expect(page.get_by_test_id("tenant-menu")).to_have_text(re.compile(r"Alpha Kiosk Nord"))
    screenshot(page, "foundation-05-dashboard-alpha-kiosk-nord")

    # The choice sticks: reloading the front door lands on the same tenant's dashboard.
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/r/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Kiosk Nord")

    assert page.problems == []


def test_dashboard_on_a_phone_hides_the_sidebar_behind_the_toggler(
    live_server, transactional_db, mobile_page, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    page = mobile_page

    _sign_in_and_choose(page, live_server.url, email=ADMIN_EMAIL, reseller="Alpha Telecom")

    sidebar = page.locator("#sidebar")
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(sidebar).to_be_hidden()
    # Nothing sticks out sideways on a 390 px wide screen.
    assert_fits(page)
    screenshot(page, "foundation-06-mobile-dashboard")

    toggler.click()
    expect(sidebar).to_be_visible()
    expect(sidebar).to_have_class(re.compile(r"\bshow\b"))
    expect(sidebar.locator('a[aria-current="page"]')).to_have_text("Dashboard")
    for label in ("Customers", "Sub-resellers", "Users"):
        expect(_nav_link(sidebar, label)).to_be_visible()
    # Bootstrap drops "showing" once the slide-in transition is over: then take the picture.
    expect(sidebar).not_to_have_class(re.compile(r"\bshowing\b"))
    screenshot(page, "foundation-07-mobile-menu-open")

    # The close button hides it again.
    sidebar.get_by_role("button", name="Close").click()
    expect(sidebar).to_be_hidden()

    assert page.problems == []
