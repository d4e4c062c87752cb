"""One locale decides the numbers of a page (issue 12, point 3): on the Sales Panel's and the
operator's money pages, every amount is written the way the page's language writes it
(core.money: "€1,234.50", "1.234,50 €", "1 234,50 €", "1 234,50 zł"), and no number on a
German, French or Polish page is written the English way ("12.50")."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from core.money import money_display, money_text
from customers.forms import recharge_key_sign
from ledger.models import LedgerAccount
from ledger.services import customer_account, reseller_account
from tests.l10n_numbers import mixed_number_formats
from tests.ledger.cashbook_data import recharge, transfer
from tests.world import fund

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "de", "fr", "pl")
Kind = LedgerAccount.Kind


@pytest.fixture
def books(world):
    """Tenant A with amounts that need grouping and a decimal sign: 1,234.56 more sales
    credit, a 12.50 recharge (1.25 commission), 56.78 given to its sub-reseller."""
    a = world.a
    fund(a.reseller, net="1234.56", vat="234.57")
    recharge(customer=a.customer, amount="12.50", actor=a.admin)
    transfer(parent=a.reseller, child=a.child, amount="56.78", actor=a.admin)
    return a


def _balance(**where) -> Decimal:
    return LedgerAccount.objects.get(**where).balance


def _page(client, url, **post) -> str:
    answer = client.post(url, post) if post else client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return html.unescape(answer.content.decode())


def _speaking(world, language: str):
    for person in (world.a.admin, world.staff):
        person.language = language
        person.save(update_fields=["language"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_amount_of_the_money_pages_follows_the_page_language(world, books, language):
    a = books
    _speaking(world, language)
    currency = str(a.reseller.currency)
    sales = reseller_account(reseller=a.reseller, kind=Kind.SALES_CREDIT)
    commission = reseller_account(reseller=a.reseller, kind=Kind.COMMISSION)
    child_credit = reseller_account(reseller=a.child, kind=Kind.SALES_CREDIT)
    customer_balance = customer_account(customer=a.customer, currency=currency)
    sales.refresh_from_db(), commission.refresh_from_db()
    child_credit.refresh_from_db(), customer_balance.refresh_from_db()
    assert sales.balance == Decimal("1265.28")  # 100 + 1234.56 - 12.50 - 56.78

    with translation.override(language):

        def shown(value):
            return money_display(value, currency)

        def bare(value):
            return money_text(value, currency)

        recharge_step = {
            "phone": a.customer.phone,
            "amount": "20.0000",
            "key": recharge_key_sign("k1", reseller_id=a.reseller.pk, user_id=a.admin.pk),
            "step": "review",
        }
        pages = {
            "dashboard": (reverse("resellers:dashboard"), {}, [bare(sales.balance), bare("1.25")]),
            "recharge confirmation": (
                reverse("customers:recharge"),
                recharge_step,
                [shown("20"), shown("2"), shown(sales.balance), shown(sales.balance - 20)],
            ),
            "manage accounts": (
                reverse("customers:account-list"),
                {},
                [shown(sales.balance), shown("12.50"), shown("56.78"), bare("-56.78")],
            ),
            "customers": (reverse("customers:customer-list"), {}, [shown("12.50")]),
            "customer": (
                reverse("customers:customer-detail", args=[a.customer.pk]),
                {},
                [shown("12.50"), bare("12.50")],
            ),
            "cashbook": (
                reverse("ledger:cashbook"),
                {},
                [shown("12.50"), shown("1.25"), shown(sales.balance), bare("1234.56")],
            ),
            "commission transfer": (
                reverse("ledger:commission-transfer"),
                {},
                [shown("1.25"), shown(sales.balance)],
            ),
            "sub-reseller": (
                reverse("resellers:subreseller-detail", args=[a.child.pk]),
                {},
                [shown("56.78"), shown(sales.balance), "10 %"],
            ),
        }
        staff_pages = {
            "staff reseller": (
                reverse("resellers:staff-reseller-detail", args=[a.reseller.pk]),
                {},
                [shown(sales.balance), bare("-56.78")],
            ),
            "staff account statement": (
                reverse("ledger:staff-account-statement", args=[sales.pk]),
                {},
                [shown(sales.balance), shown("1234.56"), shown("-12.50")],
            ),
        }
    clients = {"admin": world.client_for("admin"), "staff": world.client_for("staff")}
    for who, group in (("admin", pages), ("staff", staff_pages)):
        for name, (url, post, amounts) in group.items():
            page = _page(clients[who], url, **post)
            assert f'<html lang="{language}"' in page, name
            for text in amounts:
                assert text in page, f"{name} in {language}: {text!r} missing"
            assert mixed_number_formats(page, language) == [], name


def test_a_german_page_of_the_old_kind_is_caught():
    """The check finds what the issue saw: "595,00" beside "5.00", a raw "50.0000 EUR"."""
    page = (
        '<p>Umsatz <strong>595,00</strong> · Guthaben 5.00 EUR</p><p title="50.0000 EUR">x</p>'
        '<script>var rate = 1.5;</script><input value="12.50">'
        "<p>2026-11-01 14:05 · +49 179 1234567 · #12 · 1.234,50 € · 1.234 Kunden</p>"
    )
    assert [m.split()[0] for m in mixed_number_formats(page, "de")] == ["5.00", "50.0000"]
    assert [m.split()[0] for m in mixed_number_formats(page, "en")] == ["595,00", "1.234,50"]
    assert re.match(r"5\.00 in ", mixed_number_formats(page, "fr")[0])


def test_text_marked_as_another_language_and_raw_data_are_not_the_pages():
    """An English customer's SMS on a German page (marked lang="en") and an audit event's raw
    data in <pre> are data; the same figures unmarked are not."""
    page = (
        '<p lang="en">Test: 10.00 EUR added. <b>New balance: 10.00 EUR.</b></p>'
        '<pre>{"amount": "10.0000"}</pre><br><p lang="de">Guthaben 7.50 EUR</p>'
        "<p>Guthaben 3.00 EUR</p>"
    )
    assert [m.split()[0] for m in mixed_number_formats(page, "de")] == ["7.50", "3.00"]
