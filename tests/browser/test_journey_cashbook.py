"""Journey: a reseller Admin reads the dashboard, moves commission to sales credit, finds the
transfer in the cashbook and downloads it as CSV; a User sees only their own sales."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from ledger.verify import ledger_verify
from tests.browser.conftest import money, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sign_in(page, base: str, email: str) -> None:
    sign_in(page, base, email)
    expect(page).to_have_url(re.compile(r"/r/$"))


def test_admin_transfers_commission_and_reads_the_cashbook(
    live_server, transactional_db, page, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    base = live_server.url
    _sign_in(page, base, "admin@baltic.test")
    sales_before = money(page.get_by_test_id("sales-credit").inner_text())
    commission_before = money(page.get_by_test_id("commission-credit").inner_text())
    assert commission_before > 10
    expect(page.get_by_test_id("sales-chart").locator(".sales-bar")).to_have_count(30)
    screenshot(page, "cash-01-dashboard")

    page.get_by_role("link", name=re.compile("Transfer commission")).first.click()
    amount = page.get_by_label("Amount")
    amount.fill(f"{commission_before + 1:.2f}")
    page.get_by_role("button", name=re.compile("Transfer to sales credit")).click()
    expect(page.get_by_test_id("amount-error")).to_contain_text("You can transfer at most")
    screenshot(page, "cash-02-transfer-error")
    page.get_by_label("Amount").fill("10")
    page.get_by_role("button", name=re.compile("Transfer to sales credit")).click()
    expect(page.locator(".alert-success")).to_contain_text("PLN 10.00 of commission credit moved")
    expect(page.get_by_test_id("commission-balance")).to_contain_text(
        f"{commission_before - 10:,.2f}"
    )
    expect(page.get_by_test_id("sales-balance")).to_contain_text(f"{sales_before + 10:,.2f}")
    screenshot(page, "cash-03-transfer")

    page.locator("#sidebar").get_by_role("link", name=re.compile("Cashbook")).click()
    expect(page.get_by_test_id("total-sold")).to_contain_text("PLN")
    page.locator('select[name="kind"]').select_option("commission_transfer")
    page.get_by_role("button", name=re.compile("Show")).click()
    rows = page.get_by_test_id("cashbook").locator("tbody tr")
    expect(rows).to_have_count(2)  # the demo's transfer and ours
    expect(rows.last).to_contain_text("10.00")
    screenshot(page, "cash-04-cashbook")

    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    lines = list(csv.reader(io.StringIO(exported)))
    page_rows = [
        [re.sub(r"\s+", " ", cell).strip() for cell in row.locator("td").all_inner_texts()]
        for row in rows.all()
    ]
    assert [[cell or "—" for cell in line] for line in lines[1:3]] == [
        [cell.replace(",", "") for cell in row] for row in page_rows
    ]
    assert lines[-1][0] == "Total commission received"
    assert ledger_verify().clean
    assert page.problems == []


def test_a_user_sees_only_their_own_sales(live_server, transactional_db, page, screenshot):
    call_command("demo_data", stdout=io.StringIO())
    _sign_in(page, live_server.url, "user@baltic.test")
    expect(page.get_by_text("Your sales this month")).to_be_visible()
    page.locator("#sidebar").get_by_role("link", name=re.compile("Cashbook")).click()
    expect(page.get_by_text("your own sales")).to_be_visible()
    sellers = page.get_by_test_id("cashbook").locator("tbody tr td:nth-child(5)")
    assert sellers.count() > 0
    assert set(sellers.all_inner_texts()) == {"user@baltic.test"}
    assert page.locator("#sidebar").get_by_role("link", name=re.compile("Transfer")).count() == 0
    screenshot(page, "cash-05-user-cashbook")
    assert page.problems == []
