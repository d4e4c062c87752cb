"""Journey (issue 5): the ClouFON reseller FAQ (../shared/seeds/cloufon-reseller-faq.txt) in one
go, the way three people live it on their own devices.

The reseller (Alpha Telecom's Admin) signs in to the Sales Panel and, under "Register /
Recharge Customer", enters a new mobile number in international format and picks €10. The
customer's text message goes out through the HTTP gateway (the loopback fake: the customer's
phone); operator staff (signed in with their TOTP code) see it in the SMS inbox with the
password masked, as it is stored once sent (issue 11, point 4).
The customer follows the link in the SMS on a phone, signs in with the username and password
from it, must choose their own password, and sees €10.00. The reseller recharges the known
number with €20 from the customer's page; the second SMS tells the new balance (€30.00),
which the customer's portal shows too. Finally the cashbook shows both sales with both
commissions (the amounts times the rate the dashboard states), correct running balances and
totals, and the CSV export downloaded in the browser matches the page row by row.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from core.exports import cell_safe
from customers.models import Customer
from sms.services import SECRET_MASK
from tests.browser.conftest import (
    DESKTOP_VIEWPORT,
    MOBILE_VIEWPORT,
    _new_page,
    assert_fits,
    language_choose,
    money,
    sidebar_link,
    sign_in,
    sign_out,
    staff_sign_in,
)
from tests.fakes.sms_gateway import FakeSmsGateway

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "+491795550001"
TYPED_PHONE = "0049 179 5550001"  # how the shop assistant types it
NEW_PASSWORD = "My-own-pass-2026"
CENT = Decimal("0.01")


def _sell(page, amount: int, *, new: bool, snap, left: Decimal, rate: Decimal) -> Decimal:
    """Pick €`amount` on the recharge form, check the confirmation (new or known customer,
    commission at `rate` %, sales credit `left` after) and confirm; returns the commission."""
    commission = (Decimal(amount) * rate / 100).quantize(CENT)
    # The steps swap <main> with htmx: the page itself is never loaded again, so a marker
    # set on it now is still there at the end (a full page load would drop it).
    page.evaluate("window.rechargeFlowMarker = 'kept'")
    page.get_by_text(f"€{amount}.00", exact=True).click()
    snap(page, "recharge-form")
    page.get_by_role("button", name=re.compile("Continue")).click()
    expect(page.get_by_test_id("customer-new" if new else "customer-known")).to_be_visible()
    expect(page.get_by_test_id("confirm-phone")).to_contain_text(PHONE)
    expect(page.get_by_test_id("confirm-amount")).to_have_text(f"€{amount}.00")
    expect(page.get_by_test_id("confirm-commission")).to_have_text(f"€{commission}")
    expect(page.get_by_test_id("confirm-left")).to_have_text(f"€{left:,}")
    snap(page, "recharge-confirm")
    name = "Register and recharge" if new else "Recharge"
    page.get_by_role("button", name=name, exact=True).click()
    expect(page.get_by_test_id("recharge-done")).to_be_visible()
    expect(page.get_by_test_id("done-commission")).to_have_text(f"€{commission}")
    expect(page.get_by_test_id("done-left")).to_have_text(f"€{left:,}")
    assert page.evaluate("window.rechargeFlowMarker") == "kept"
    expect(page).to_have_title(re.compile(r"^Recharge done · "))
    expect(page.locator("aside.sidebar")).to_have_count(1)  # the layout once, not nested
    snap(page, "recharge-done")
    return commission


def _read_sms(staff, *, count: int, snap, name: str) -> str:
    """Operator staff open the SMS inbox for PHONE, expect `count` messages, all sent, and
    open the newest; returns its text as the page shows it."""
    sidebar_link(staff, "SMS inbox").click()
    staff.locator('input[name="recipient"]').fill(PHONE)
    staff.get_by_role("button", name=re.compile("Filter")).click()
    rows = staff.locator("main table tbody tr")
    expect(rows).to_have_count(count)
    for row in rows.all():
        expect(row).to_contain_text("Sent")
    snap(staff, f"{name}-inbox")
    rows.first.locator("td").first.get_by_role("link").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("SMS #")
    snap(staff, name)
    return staff.get_by_test_id("sms-body").inner_text()


def _table(page, test_id: str) -> tuple[list[str], list[list[str]]]:
    """A table's headings and its rows' cell texts (whitespace collapsed)."""
    table = page.get_by_test_id(test_id)

    def clean(cells: list[str]) -> list[str]:
        return [re.sub(r"\s+", " ", cell).strip() for cell in cells]

    headings = clean(table.locator("thead th").all_inner_texts())
    rows = [clean(row.locator("td").all_inner_texts()) for row in table.locator("tbody tr").all()]
    return headings, rows


@pytest.fixture
def phone_gateway(settings):
    """The customer's phone: the fake HTTP gateway every SMS of the journey goes to."""
    fake = FakeSmsGateway().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN = fake.url, fake.token
    yield fake
    fake.stop()


def _received(gateway: FakeSmsGateway, count: int) -> str:
    """The newest of the `count` texts the phone has received."""
    texts = [payload["text"] for payload in gateway.accepted() if payload["to"] == PHONE]
    assert len(texts) == count, texts
    return texts[-1]


def test_cloufon_faq_journey(
    live_server, transactional_db, browser, page, screenshot, settings, phone_gateway
):
    call_command("demo_data", stdout=io.StringIO())
    base = live_server.url
    # The link in the welcome SMS points at this server's customer portal.
    settings.PORTAL_ORIGIN = base
    shot = iter(range(1, 100))

    def snap(p, name: str) -> None:
        screenshot(p, f"faq-{next(shot):02d}-{name}")

    # --- 1. The reseller signs in to the Sales Panel: balances and commission rate ---------
    sign_in(page, base, "admin@alpha.test")
    # Alpha's Admin also runs its sub-reseller Alpha Kiosk Nord: they choose Alpha Telecom.
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a reseller")
    snap(page, "choose-reseller")
    page.get_by_role("button", name=re.compile(r"^Alpha Telecom")).click()
    expect(page).to_have_url(re.compile(r"/r/$"))
    sales = money(page.get_by_test_id("sales-credit").inner_text())
    commission = money(page.get_by_test_id("commission-credit").inner_text())
    rate_text = page.get_by_text(re.compile(r"% on every sale")).inner_text()
    rate = Decimal(re.search(r"([\d.]+) % on every sale", rate_text).group(1))
    assert rate > 0 and sales >= 30
    snap(page, "dashboard")

    # --- 2. Register / Recharge Customer with a new number ----------------------------------
    page.get_by_test_id("actions").get_by_role("link", name="Register / Recharge Customer").click()
    # A number that cannot be a mobile one: the form comes back (a 400, swapped in by htmx
    # like any answer) saying why, and nothing is sold.
    page.locator('input[name="phone"]').fill("+49 30 1234")
    page.get_by_text("€10.00", exact=True).click()
    page.get_by_role("button", name=re.compile("Continue")).click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    expect(page.get_by_test_id("recharge-form")).to_be_visible()
    snap(page, "recharge-bad-number")
    refused = [p for p in page.problems if p.startswith("HTTP 400") and "/r/recharge/" in p]
    assert len(refused) == 1, page.problems  # the one expected answer, nothing else broken
    page.problems.remove(refused[0])
    page.locator('input[name="phone"]').fill(TYPED_PHONE)
    first = _sell(page, 10, new=True, snap=snap, left=sales - 10, rate=rate)

    # --- 3. The SMS carries the credentials to the phone; the inbox shows them masked -------
    welcome = _received(phone_gateway, 1)
    username = re.search(r"Benutzername: (\S+)", welcome).group(1)
    password = re.search(r"Passwort: (\S+)", welcome).group(1)
    link = re.search(r"https?://\S+/my/", welcome).group(0)
    assert username == PHONE and link == base + "/my/"
    assert "Alpha Telecom" in welcome and password != SECRET_MASK
    staff_context, staff = _new_page(browser, viewport=DESKTOP_VIEWPORT)
    staff_sign_in(staff, base)
    stored = _read_sms(staff, count=1, snap=snap, name="sms-credentials")
    assert f"Passwort: {SECRET_MASK}" in stored and password not in stored
    assert stored == welcome.replace(password, SECRET_MASK)

    # --- 4. The customer signs in on a phone, changes the password, sees the balance --------
    phone_context, phone = _new_page(
        browser, viewport=MOBILE_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/accounts/login/"))
    phone.locator('input[name="login"]').fill(username)
    phone.locator('input[name="password"]').fill(password)
    assert_fits(phone)
    snap(phone, "customer-sign-in")
    phone.get_by_role("button", name="Sign In").click()
    expect(phone.get_by_test_id("password-forced")).to_be_visible()
    # A German number: the portal speaks German to the customer, who prefers English.
    expect(phone.locator("html")).to_have_attribute("lang", "de")
    expect(phone.locator(".alert-success")).to_contain_text(PHONE)
    language_choose(phone, "en")
    expect(phone.get_by_test_id("password-forced")).to_be_visible()
    assert_fits(phone)
    snap(phone, "customer-password")
    phone.locator('input[name="old_password"]').fill(password)
    phone.locator('input[name="new_password1"]').fill(NEW_PASSWORD)
    phone.locator('input[name="new_password2"]').fill(NEW_PASSWORD)
    phone.get_by_role("button", name=re.compile("Save the new password")).click()
    expect(phone.get_by_test_id("portal-balance")).to_have_text("€10.00")
    snap(phone, "customer-portal")
    assert not Customer.objects.get(phone=PHONE).password_change_required
    # The SMS password worked once: it no longer signs in.
    sign_out(phone, base)
    sign_in(phone, base, username, password)
    expect(phone.locator(".alert-danger")).to_be_visible()
    sign_in(phone, base, username, NEW_PASSWORD)
    expect(phone.get_by_test_id("portal-balance")).to_have_text("€10.00")

    # --- 5. A second recharge of the known number, from the customer's page -----------------
    sidebar_link(page, "Customers").click()
    page.locator('input[name="q"]').fill("5550001")
    page.get_by_role("button", name=re.compile("Filter")).click()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    snap(page, "customer-list")
    page.get_by_role("link", name=PHONE).click()
    expect(page.get_by_test_id("customer-balance")).to_have_text("€10.00")
    expect(page.get_by_test_id("customer-messages")).to_contain_text("Sign-in details")
    expect(page.get_by_test_id("customer-messages")).not_to_contain_text(password)
    snap(page, "customer-detail")
    page.get_by_test_id("action-recharge").click()
    expect(page.locator('input[name="phone"]')).to_have_value(PHONE)
    second = _sell(page, 20, new=False, snap=snap, left=sales - 30, rate=rate)

    # --- 6. The SMS tells the new balance; the customer sees it too ---------------------------
    recharged = _read_sms(staff, count=2, snap=snap, name="sms-new-balance")
    assert "20,00 € aufgeladen" in recharged and "Neues Guthaben: 30,00 €" in recharged
    assert _received(phone_gateway, 2) == recharged
    staff_context.close()
    phone.reload()
    expect(phone.get_by_test_id("portal-balance")).to_have_text("€30.00")
    assert_fits(phone)
    snap(phone, "customer-portal-recharged")
    phone.get_by_role("link", name="Profile and language").click()
    assert_fits(phone)
    snap(phone, "customer-profile")
    assert phone.problems == []
    phone_context.close()

    # --- 7. The cashbook: both sales, both commissions, totals; the CSV matches the page -----
    sidebar_link(page, "Cashbook").click()
    # "Select a date range and you will get a report": today's (the month has pages of the
    # demo's history).
    today = page.locator('input[name="date_to"]').input_value()
    page.locator('input[name="date_from"]').fill(today)
    page.get_by_role("button", name=re.compile("Show")).click()
    expect(page).to_have_url(re.compile(rf"date_from={today}"))
    expect(page.locator(".pagination")).to_have_count(0)
    headings, rows = _table(page, "cashbook")
    col = {heading: n for n, heading in enumerate(headings)}
    ours = [row for row in rows if PHONE in row[col["Customer"]].replace(" ", "")]
    assert [
        [
            row[col["Type"]],
            money(row[col["Sales credit ±"]]),
            money(row[col["Sales credit"]]),
            money(row[col["Commission ±"]]),
            money(row[col["Commission credit"]]),
        ]
        for row in ours
    ] == [
        ["Recharge", Decimal(-10), sales - 10, first, commission + first],
        ["Recharge", Decimal(-20), sales - 30, second, commission + first + second],
    ]
    assert rows[-2:] == ours  # the newest movements, at the end of the range
    assert (first, second) == (Decimal("1.00"), Decimal("2.00"))  # 10 % of 10 and 20 EUR
    # The totals are those of the rows on the page (the demo's sales and ours).
    sold = [row for row in rows if row[col["Type"]] in ("Recharge", "Sale")]
    total_sold = -sum(money(row[col["Sales credit ±"]]) for row in sold)
    total_commission = sum(money(row[col["Commission ±"]]) for row in sold)
    expect(page.get_by_test_id("total-sold")).to_have_text(f"€{total_sold:,}")
    expect(page.locator("main")).to_contain_text(f"{len(sold)} sales")
    expect(page.get_by_test_id("total-commission")).to_have_text(f"€{total_commission:,}")
    assert len(sold) >= 2 and total_sold >= 30 and total_commission >= first + second
    snap(page, "cashbook")

    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    header, body, totals = lines[0], lines[1 : len(rows) + 1], lines[len(rows) + 1 :]
    assert header == headings
    assert len(body) == len(rows)
    for line, row in zip(body, rows, strict=True):
        for heading, cell in zip(headings, row, strict=True):
            exported = line[col[heading]] or "—"  # the page shows an empty cell as a dash
            money_columns = ("Sales credit ±", "Sales credit", "Commission ±", "Commission credit")
            if heading in money_columns and exported != "—":
                assert Decimal(exported) == money(cell), (heading, line, row)
            else:
                # A customer without a name is their number, "+49 …": every export quotes
                # text a spreadsheet would read as a formula (core.exports.cell_safe).
                assert exported == cell_safe(cell), (heading, line, row)
    assert totals == [
        ["Total sold credit", f"{total_sold} EUR", *[""] * (len(headings) - 2)],
        ["Number of sales", str(len(sold)), *[""] * (len(headings) - 2)],
        ["Total commission received", f"{total_commission} EUR", *[""] * (len(headings) - 2)],
    ]
    assert page.problems == []
