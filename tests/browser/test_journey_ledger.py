"""Journey: operator staff find a recharge in the ledger, read its entries and the account
statement, and reverse it with a reason; the reversal restores the balances."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from ledger.models import LedgerTransaction
from ledger.verify import ledger_verify
from tests.browser.conftest import staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_staff_reverse_a_recharge(live_server, transactional_db, page, screenshot):
    call_command("demo_data", stdout=io.StringIO())
    base = live_server.url
    staff_sign_in(page, base)

    page.locator("#sidebar").get_by_role("link", name=re.compile("Ledger")).click()
    page.locator('input[name="reseller"]').fill("Baltic")
    page.locator('select[name="kind"]').select_option("recharge")
    page.get_by_role("button", name=re.compile("Filter")).click()
    rows = page.locator("main table tbody tr")
    baltic = LedgerTransaction.objects.filter(kind="recharge", reseller__slug="baltic")
    expect(rows).to_have_count(min(baltic.count(), 25))  # the demo has a month of sales
    screenshot(page, "ledger-01-transactions")

    recharge = baltic.order_by("-pk")[0]
    page.get_by_role("link", name=f"#{recharge.pk}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Transaction #{recharge.pk}")
    expect(page.locator("main table tbody tr")).to_have_count(4)
    screenshot(page, "ledger-02-transaction")

    page.get_by_role("link", name=re.compile("Baltic Voice · Sales credit")).click()
    sales_credit = recharge.entries.get(account__kind="sales_credit").account
    expect(page.get_by_test_id("account-balance")).to_have_text(f"PLN {sales_credit.balance:,.2f}")
    screenshot(page, "ledger-03-statement")
    page.go_back()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('input[name="reason"]').fill("Sold to the wrong number")
    page.get_by_role("button", name=re.compile("Reverse")).click()
    expect(page.locator(".alert-success")).to_contain_text(f"#{recharge.pk} is reversed by")
    expect(page.locator("main")).to_contain_text("Sold to the wrong number")
    screenshot(page, "ledger-04-reversal")

    page.get_by_role("link", name=f"reverses #{recharge.pk}").click()
    expect(page.get_by_test_id("reversed-by")).to_be_visible()
    page.get_by_role("link", name=re.compile("Baltic Voice · Sales credit")).click()
    restored = sales_credit.balance - recharge.entries.get(account=sales_credit).amount
    expect(page.get_by_test_id("account-balance")).to_have_text(f"PLN {restored:,.2f}")
    assert ledger_verify().clean
    assert page.problems == []
