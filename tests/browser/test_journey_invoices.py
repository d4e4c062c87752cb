"""Journey (issue 14): every paid top-up issues an invoice. A German Admin pays 100.00 net by
card on the fake Stripe checkout, follows the payment's invoice link and downloads the PDF
(19 % VAT, in German); a VIES-valid Polish reseller's bank transfer of 250.00 is credited from
the bank's CAMT.053 statement, and its Accountant downloads the reverse-charge invoice as PDF
and as CII XML; the German Accountant asks for this month's ZIP and finds in it exactly the
German invoices. The invoice list, an invoice and the export pages must fit a phone's width.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from lxml import etree
from playwright.sync_api import expect

from accounts.models import Role
from billing.models import REVERSE_CHARGE_WORDING as REVERSE_CHARGE_PHRASE
from billing.models import Invoice
from billing.selectors import month_bounds
from ledger.verify import ledger_verify
from payments.models import TopUp
from payments.services.statements import statement_import_create
from tests.browser import test_journey_topup
from tests.browser.conftest import language_choose, money, sidebar_link, sign_out
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.test_journey_topup import CAMT_SAMPLE, _shots
from tests.factories import PASSWORD, MembershipFactory, StaffFactory
from tests.ledger.pdf_text import pdf_text
from tests.payments.helpers import german_reseller, polish_vies_reseller
from tests.world import bank_topup_open, card_topup_paid

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The fake Stripe and PayPal on a loopback port, as the top-up journey sets them up
payment_fakes = test_journey_topup.payment_fakes

CII = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}"
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"


def _member(reseller, role: str, email: str):
    return MembershipFactory(reseller=reseller, role=role, user__email=email).user


def _sign_in_english(page, base: str, email: str) -> None:
    """Sign in, land on the reseller's overview, and read the portal in English."""
    _sign_in(page, base, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/r/$"))
    if page.locator("html").get_attribute("lang") != "en":
        language_choose(page, "en")


def _compact(text: str) -> str:
    """A PDF's text without any space (the PDF draws words and numbers in pieces)."""
    return re.sub(r"[\s\u00a0\u202f]+", "", text)


def _download(page, testid: str) -> bytes:
    with page.expect_download() as download:
        page.get_by_test_id(testid).click()
    return Path(download.value.path()).read_bytes()


def _pay_by_card(page, amount: str) -> None:
    """Add funds by card and pay on the fake Stripe checkout: back on the paid payment."""
    sidebar_link(page, "Add funds").click()
    page.locator('input[name="amount"]').fill(amount)
    page.get_by_label("Card", exact=True).check()
    page.get_by_test_id("add-funds-review").click()
    page.get_by_test_id("add-funds-pay").click()
    expect(page).to_have_url(re.compile(r"/stripe/checkout/[^/]+$"))
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page).to_have_url(re.compile(r"/r/payments/\d+/$"))
    expect(page.get_by_test_id("topup-status")).to_have_text("Paid")


def _bank_transfer_credited(reseller, actor) -> TopUp:
    """A bank transfer top-up of 250.00, credited when operator staff import the bank's
    CAMT.053 statement (the services the statement pages call; test_journey_topup walks the
    pages)."""
    topup = bank_topup_open(reseller, actor, "250.00")
    camt = (
        CAMT_SAMPLE.read_text(encoding="utf-8")
        .replace("RF84T000105", topup.reference)
        .replace("1190.00", "250.00")
    )
    statement_import_create(
        actor=StaffFactory(email="kai@operator.test"),
        file_name="camt053.xml",
        content=camt.encode(),
    )
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    return topup


def test_paid_topups_are_invoiced_and_exported(live_server, transactional_db, payment_fakes, page):
    base = live_server.url
    german = german_reseller(name="Rhein Telecom", language="de")
    german_admin = _member(german, Role.ADMIN, "anna@rhein.test")
    # A long name: the export list shows who asked for each export, and it must still fit
    MembershipFactory(
        reseller=german,
        role=Role.ACCOUNTANT,
        user__email="jonas@rhein.test",
        user__first_name="Jonas",
        user__last_name="Müller-Lüdenscheidt",
    )
    polish = polish_vies_reseller(name="Wisła Telekom")
    polish_admin = _member(polish, Role.ADMIN, "ola@wisla.test")
    _member(polish, Role.ACCOUNTANT, "piotr@wisla.test")
    polish_topup = _bank_transfer_credited(polish, polish_admin)
    polish_invoice = Invoice.objects.get(source_key=f"topup:{polish_topup.pk}")

    # 1-2. The German Admin pays by card and finds the payment's invoice
    _sign_in_english(page, base, "anna@rhein.test")
    _pay_by_card(page, "100.00")
    topup = TopUp.objects.get(reseller=german)
    invoice = Invoice.objects.get(source_key=f"topup:{topup.pk}")
    link = page.get_by_test_id("topup-invoice")
    expect(link).to_have_text(f"Invoice {invoice.number}")
    link.click()
    expect(page).to_have_url(re.compile(rf"/r/invoices/{invoice.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.number}")
    expect(page.get_by_test_id("invoice-payment")).to_have_text("Paid")
    groups = page.get_by_test_id("vat-groups").locator("tbody tr")
    expect(groups).to_have_count(1)
    expect(groups.locator("td").nth(1)).to_have_text("19 %")
    assert money(groups.locator("td").nth(3).inner_text()) == Decimal("19.00")
    assert money(page.get_by_test_id("total-gross").inner_text()) == Decimal("119.00")
    expect(page.get_by_test_id("buyer")).to_contain_text("Rhein Telecom")
    # Rendered after commit; eager here, so ready at once or after a poll or two
    expect(page.get_by_test_id("download-pdf")).to_be_visible()
    _shots(page, "invoices-01-detail-de-reseller")

    pdf = _download(page, "download-pdf")
    assert pdf.startswith(b"%PDF-")
    text = _compact(pdf_text(pdf))
    assert invoice.number in text
    assert "RheinTelecom" in text
    assert "19%" in text
    assert "119,00" in text or "119.00" in text
    assert _compact(REVERSE_CHARGE_PHRASE) not in text
    # A second top-up the same month (settled as staff would): the export holds both
    card_topup_paid(german, german_admin, "20.00")
    sign_out(page, base)

    # 3. The Polish Accountant: a reverse-charge invoice, as PDF and as CII XML
    _sign_in_english(page, base, "piotr@wisla.test")
    sidebar_link(page, "Invoices").click()
    expect(page).to_have_url(re.compile(r"/r/invoices/$"))
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(polish_invoice.number)
    _shots(page, "invoices-02-list")
    rows.first.get_by_role("link", name=polish_invoice.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {polish_invoice.number}")
    assert money(page.get_by_test_id("total-gross").inner_text()) == Decimal("250.00")
    expect(page.get_by_test_id("treatment-note")).to_contain_text(re.compile("reverse", re.I))
    expect(page.get_by_test_id("download-pdf")).to_be_visible()
    _shots(page, "invoices-03-detail-reverse-charge")

    pdf = _download(page, "download-pdf")
    text = _compact(pdf_text(pdf))
    assert polish_invoice.number in text
    assert _compact(REVERSE_CHARGE_PHRASE) in text
    assert re.search(r"0[,.]00", text)  # the VAT
    assert "250,00" in text or "250.00" in text
    assert "19%" not in text
    assert polish_invoice.total_vat == 0

    xml = _download(page, "download-xml")
    root = etree.fromstring(xml)
    assert root.tag == f"{CII}CrossIndustryInvoice"
    assert polish_invoice.number in [el.text for el in root.iter() if el.tag.endswith("}ID")]
    codes = {el.text for el in root.iter(f"{RAM}CategoryCode")}
    assert codes == {"AE"}
    sign_out(page, base)

    # 4. The German Accountant asks for this month's ZIP
    _sign_in_english(page, base, "jonas@rhein.test")
    sidebar_link(page, "Invoices").click()
    expect(page.locator("main table tbody tr")).to_have_count(2)
    page.get_by_test_id("exports-link").click()
    expect(page).to_have_url(re.compile(r"/r/invoices/exports/$"))
    _shots(page, "invoices-04-exports")
    this_month = timezone.localdate().replace(day=1)
    page.locator('input[name="month"]').fill(f"{this_month:%Y-%m}")
    page.get_by_test_id("export-submit").click()
    expect(page).to_have_url(re.compile(r"/r/invoices/exports/\d+/$"))
    expect(page.get_by_test_id("export-progress")).to_have_attribute("data-status", "ready")
    expect(page.get_by_test_id("export-state")).to_have_text("Ready: 2 documents.")
    _shots(page, "invoices-05-export-ready")

    archive = zipfile.ZipFile(io.BytesIO(_download(page, "export-download")))
    first, last = month_bounds(this_month)
    numbers = sorted(
        Invoice.objects.filter(reseller=german, issue_date__range=(first, last)).values_list(
            "number", flat=True
        )
    )
    assert len(numbers) == 2
    expected = {f"{number}.{ext}" for number in numbers for ext in ("pdf", "xml")}
    assert set(archive.namelist()) == expected | {"journal.csv"}
    assert not any(polish_invoice.number in name for name in archive.namelist())
    journal = archive.read("journal.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(journal), delimiter=";"))
    assert sorted(row[0] for row in rows[1:]) == numbers
    assert polish_invoice.number not in journal
    for number in numbers:
        assert archive.read(f"{number}.pdf").startswith(b"%PDF-")

    page.goto(base + "/r/invoices/exports/")
    expect(page.get_by_test_id("export-list").locator("tbody tr")).to_have_count(1)
    _shots(page, "invoices-06-exports-listed")

    assert ledger_verify().clean
    assert page.problems == []
