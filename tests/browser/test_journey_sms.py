"""Journey: SMS in the inbox (staff) and a failed SMS resent from the customer page."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import transaction
from playwright.sync_api import expect

from customers.models import Customer
from sms.models import Message
from sms.services import message_queue
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.conftest import sign_out, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _demo_messages() -> tuple[Customer, Message]:
    customer = Customer.objects.select_related("reseller").get(user__email="customer@alpha.test")
    with transaction.atomic():
        message_queue(
            reseller=customer.reseller,
            recipient=customer.phone,
            template="customer_welcome",
            context={
                "phone": customer.phone,
                "password": "Tq7-demo-Pass",
                "portal_url": "http://testserver/my/",
                "reseller_name": customer.reseller.name,
            },
            customer=customer,
        )
        failed = message_queue(
            reseller=customer.reseller,
            recipient=customer.phone,
            template="customer_recharged",
            context={
                "amount": "10,00\u00a0€",
                "balance": "35,50\u00a0€",
                "reseller_name": customer.reseller.name,
            },
            customer=customer,
        )
    Message.objects.filter(pk=failed.pk).update(
        status=Message.Status.FAILED, last_error="HTTP 400: invalid destination"
    )
    return customer, failed


def test_staff_read_the_inbox_and_a_user_resends_a_failed_sms(
    live_server, transactional_db, page, screenshot
):
    call_command("demo_data", stdout=io.StringIO())
    Message.objects.all().delete()  # the demo's sales sent SMS; this journey reads its own two
    customer, failed = _demo_messages()
    base = live_server.url

    staff_sign_in(page, base)
    page.locator("#sidebar").get_by_role("link", name=re.compile("SMS inbox")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SMS inbox")
    expect(page.locator("main table tbody tr")).to_have_count(2)
    # The credentials SMS is sent (database backend): staff see its password masked.
    expect(page.locator("main table")).to_contain_text("Passwort: ********")
    expect(page.locator("main")).not_to_contain_text("Tq7-demo-Pass")
    screenshot(page, "sms-01-inbox")

    page.locator('select[name="status"]').select_option("failed")
    page.get_by_role("button", name=re.compile("Filter")).click()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    page.get_by_role("link", name=f"#{failed.pk}", exact=True).click()
    expect(page.get_by_test_id("sms-body")).to_contain_text("Neues Guthaben: 35,50 €")
    expect(page.locator("main")).to_contain_text("HTTP 400: invalid destination")
    screenshot(page, "sms-02-message")
    sign_out(page, base)

    _sign_in(page, base, "user@alpha.test")
    page.goto(f"{base}/r/customers/{customer.pk}/")
    table = page.get_by_test_id("customer-messages")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Sign-in details")
    expect(table).not_to_contain_text("Tq7-demo-Pass")  # shop staff do not see passwords
    screenshot(page, "sms-03-customer-messages")
    table.get_by_role("button", name=re.compile("Resend")).click()
    expect(page.locator(".alert-success")).to_contain_text("is queued again")
    expect(table.get_by_role("button", name=re.compile("Resend"))).to_have_count(0)
    screenshot(page, "sms-04-resent")
    assert Message.objects.get(pk=failed.pk).status == Message.Status.SENT
    assert page.problems == []
