"""The cashbook page, its exports, and the commission transfer page."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from ledger.models import LedgerTransaction
from ledger.selectors import reseller_cash_accounts
from tests.factories import CustomerFactory
from tests.ledger.cashbook_data import recharge
from tests.ledger.pdf_text import pdf_text

pytestmark = pytest.mark.django_db
CASHBOOK = reverse("ledger:cashbook")
EXPORT = reverse("ledger:cashbook-export")
TRANSFER = reverse("ledger:commission-transfer")


@pytest.fixture
def sales(world):
    """Tenant A: a sale by its User and one by its Admin; tenant B sold A's customer once."""
    a = world.a
    a.customer.name, a.customer.phone = "Jonas Weber", "+491791234567"
    a.customer.save()
    other = CustomerFactory(reseller=a.reseller, name="Aylin Kaya", phone="+491711234568")
    return {
        "by_user": recharge(customer=a.customer, amount="20", actor=a.user),
        "by_admin": recharge(customer=other, amount="10", actor=a.admin),
        "foreign": recharge(customer=a.customer, seller=world.b.reseller, amount="5"),
    }


def _page_rows(html: str) -> list[list[str]]:
    """The cashbook table's body rows as text cells."""
    body = html.split('data-testid="cashbook"', 1)[1].split("<tbody", 1)[1].split("</tbody>")[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def test_admin_sees_every_movement_of_this_month_with_totals(world, sales):
    page = world.client_for("admin").get(CASHBOOK)
    assert page.status_code == 200
    html = page.content.decode()
    rows = _page_rows(html)
    assert [r[1] for r in rows] == ["Top-up", "Recharge", "Recharge"]
    assert rows[1][2] == "Jonas Weber · +49 179 1234567"
    assert rows[1][5:9] == ["-20.00", "80.00", "2.00", "2.00"]
    assert rows[2][5:9] == ["-10.00", "70.00", "1.00", "3.00"]
    assert 'data-testid="total-sold">€30.00' in html
    assert 'data-testid="total-commission">€3.00' in html
    assert "2 sales" in html


def test_accountant_sees_all_but_cannot_transfer(world, sales):
    html = world.client_for("accountant").get(CASHBOOK).content.decode()
    assert len(_page_rows(html)) == 3
    assert TRANSFER not in html
    assert world.client_for("accountant").post(TRANSFER, {"amount": "1"}).status_code == 403


def test_a_user_sees_only_their_own_sales(world, sales):
    html = world.client_for("user").get(CASHBOOK).content.decode()
    rows = _page_rows(html)
    assert len(rows) == 1 and rows[0][2] == "Jonas Weber · +49 179 1234567"
    assert 'data-testid="total-sold">€20.00' in html
    csv_rows = list(csv.reader(io.StringIO(world.client_for("user").get(EXPORT).content.decode())))
    assert len(csv_rows) == 1 + 1 + 3  # header, their one sale, three total lines


def test_another_resellers_customer_is_masked(world, sales):
    html = world.client_for("admin", world.b).get(CASHBOOK).content.decode()
    rows = _page_rows(html)
    assert rows[-1][2] == "J*** W*** · +49 179 ***4567"
    assert "Jonas" not in html and "1234567" not in html.replace("***4567", "")


def test_range_and_type_filters(world, sales):
    client = world.client_for("admin")
    today = timezone.localdate()
    old = recharge(
        customer=world.a.customer,
        amount="3",
        actor=world.a.admin,
        at=timezone.now() - dt.timedelta(days=70),
    )
    start = (today - dt.timedelta(days=71)).isoformat()
    html = client.get(CASHBOOK, {"date_from": start, "date_to": today.isoformat()}).content
    assert len(_page_rows(html.decode())) == 4
    old_day = timezone.localtime(old.created_at).date().isoformat()
    html = client.get(CASHBOOK, {"date_from": old_day, "date_to": old_day}).content.decode()
    assert len(_page_rows(html)) == 1 and 'total-sold">€3.00' in html
    html = client.get(CASHBOOK, {"kind": "topup"}).content.decode()
    assert [r[1] for r in _page_rows(html)] == ["Top-up"]
    assert 'total-sold">€0.00' in html
    html = client.get(CASHBOOK, {"kind": "sale"}).content.decode()
    assert [r[1] for r in _page_rows(html)] == ["Recharge", "Recharge"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2026-02-10", "date_to": "2026-02-01"}, "The start date is after the end"),
        ({"date_from": "yesterday"}, "Enter a valid date."),
        ({"date_to": "2026-13-45"}, "Enter a valid date."),
        ({"date_from": "2020-01-01", "date_to": "2026-01-01"}, "at most 366 days"),
        ({"kind": "lottery"}, "Select a valid choice."),
    ],
)
def test_bad_filters_say_why_and_show_nothing(world, sales, query, message):
    answer = world.client_for("admin").get(CASHBOOK, query)
    assert answer.status_code == 200  # the page, with the form's errors
    html = answer.content.decode()
    assert message in html
    assert _page_rows(html) == [["No movements in this range."]]
    export = world.client_for("admin").get(EXPORT, {**query, "_export": "csv"})
    assert export.status_code == 400 and message in export.content.decode()


def test_csv_export_has_the_page_rows_and_totals(world, sales):
    client = world.client_for("admin")
    page_rows = _page_rows(client.get(CASHBOOK, {"kind": "sale"}).content.decode())
    answer = client.get(EXPORT, {"_export": "csv", "kind": "sale"})
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(answer.content.decode())))
    header, rows, totals = lines[0], lines[1:-3], lines[-3:]
    assert header[:3] == ["Date", "Type", "Customer"]
    assert [[c or "—" for c in r] for r in rows] == [
        [c.replace(",", "") for c in r] for r in page_rows
    ]
    assert [t[:2] for t in totals] == [
        ["Total sold credit", "30.00 EUR"],
        ["Number of sales", "2"],
        ["Total commission received", "3.00 EUR"],
    ]


def test_xlsx_export_opens_with_the_same_rows(world, sales):
    answer = world.client_for("accountant").get(EXPORT, {"_export": "xlsx"})
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["Date", "Type"]
    assert [r[1] for r in values[1:4]] == ["Top-up", "Recharge", "Recharge"]
    assert values[-3][:2] == ["Total sold credit", "30.00 EUR"]
    assert values[2][5:9] == [-20, 80, 2, 2]  # numbers, not text


def test_pdf_export_carries_the_rows_and_totals(world, sales):
    answer = world.client_for("admin").get(EXPORT, {"_export": "pdf"})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    text = pdf_text(answer.content)
    assert "Total sold credit" in text and "€30.00" in text
    assert "Total commission received" in text and "€3.00" in text
    assert "Jonas Weber" in text and "Aylin Kaya" in text


def test_pdf_of_another_tenant_masks_the_customer(world, sales):
    text = pdf_text(world.client_for("admin", world.b).get(EXPORT, {"_export": "pdf"}).content)
    assert "J*** W***" in text and "Jonas" not in text


def test_unknown_export_format(world, sales):
    answer = world.client_for("admin").get(EXPORT, {"_export": "docx"})
    assert answer.status_code == 400 and "Unknown export format" in answer.content.decode()


@pytest.mark.parametrize(
    ("url", "query"),
    [
        (CASHBOOK, {}),
        (EXPORT, {"_export": "csv"}),
        (EXPORT, {"_export": "xlsx"}),
        (EXPORT, {"_export": "pdf"}),
    ],
)
def test_cashbook_and_exports_keep_a_bounded_number_of_queries(
    world, sales, django_assert_max_num_queries, url, query
):
    for _ in range(30):
        recharge(customer=world.a.customer, amount="1", actor=world.a.user)
    client = world.client_for("admin")
    with django_assert_max_num_queries(15):
        answer = client.get(url, query)
    assert answer.status_code == 200


# --- Transfer commission --------------------------------------------------------------------


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_transfer_page_shows_balances_and_moves_commission(world, sales):
    client = world.client_for("admin")
    html = client.get(TRANSFER).content.decode()
    assert 'data-testid="commission-balance">€3.00' in html
    assert "Up to €3.00." in html
    key = _key(html)
    answer = client.post(TRANSFER, {"amount": "2.50", "idempotency_key": key}, follow=True)
    assert "€2.50 of commission credit moved to your sales credit." in answer.content.decode()
    accounts = reseller_cash_accounts(reseller=world.a.reseller)
    assert (accounts.sales_balance, accounts.commission_balance) == (
        Decimal("72.5"),
        Decimal("0.5"),
    )
    # The same form sent again (a double click, a reload) moves nothing more.
    client.post(TRANSFER, {"amount": "2.50", "idempotency_key": key})
    accounts = reseller_cash_accounts(reseller=world.a.reseller)
    assert accounts.commission_balance == Decimal("0.5")
    assert AuditEvent.objects.filter(action="ledger.commission_transferred").count() == 1
    assert _key(answer.content.decode()) != key  # the next form has a fresh key


PLAIN = "Enter the amount with the digits 0–9 and at most one decimal point"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "This field is required."),
        ("0", "Enter an amount greater than zero."),
        ("-1", "Enter an amount greater than zero."),
        ("1.234", "Use at most 2 decimal places."),
        ("abc", PLAIN),
        ("NaN", PLAIN),
        ("1e400", PLAIN),
        ("1e-2", PLAIN),
        ("１", PLAIN),
        ("1" * 20, "Ensure that there are no more than"),
        ("3.01", "You can transfer at most €3.00 of commission credit."),
    ],
)
def test_bad_amounts_say_why_and_change_nothing(world, sales, amount, message):
    client = world.client_for("admin")
    key = _key(client.get(TRANSFER).content.decode())
    answer = client.post(TRANSFER, {"amount": amount, "idempotency_key": key})
    assert answer.status_code == 200  # the form again, with the error
    assert message in answer.content.decode()
    accounts = reseller_cash_accounts(reseller=world.a.reseller)
    assert (accounts.sales_balance, accounts.commission_balance) == (Decimal("70"), Decimal("3"))
    assert not LedgerTransaction.objects.filter(kind="commission_transfer").exists()


def test_a_missing_or_forged_key_is_refused(world, sales):
    client = world.client_for("admin")
    for key in ("", "not-a-uuid"):
        answer = client.post(TRANSFER, {"amount": "1", "idempotency_key": key})
        assert answer.status_code == 200
        assert "reload the page" in answer.content.decode()
    assert not LedgerTransaction.objects.filter(kind="commission_transfer").exists()


def test_the_same_form_with_another_amount_is_refused(world, sales):
    client = world.client_for("admin")
    key = _key(client.get(TRANSFER).content.decode())
    client.post(TRANSFER, {"amount": "1", "idempotency_key": key})
    answer = client.post(TRANSFER, {"amount": "2", "idempotency_key": key})
    assert answer.status_code == 200
    assert "already sent with other values" in answer.content.decode()
    assert reseller_cash_accounts(reseller=world.a.reseller).commission_balance == 2


def test_commission_spent_meanwhile_gives_a_form_error(world, sales):
    """The form checked 3.00 available; a payout took it before the transfer posted."""
    from tests.ledger.cashbook_data import payout

    client = world.client_for("admin")
    key = _key(client.get(TRANSFER).content.decode())
    payout(reseller=world.a.reseller, amount="2.5")
    answer = client.post(TRANSFER, {"amount": "1", "idempotency_key": key})
    assert answer.status_code == 200
    assert "at most €0.50" in answer.content.decode()


def test_transfer_is_for_admins_only(world, sales):
    assert world.client_for("user").get(TRANSFER).status_code == 403
    assert world.client_for("user").post(TRANSFER, {"amount": "1"}).status_code == 403
    assert reseller_cash_accounts(reseller=world.a.reseller).commission_balance == 3


def test_transfer_page_queries_are_bounded(world, sales, django_assert_max_num_queries):
    client = world.client_for("admin")
    with django_assert_max_num_queries(15):
        key = _key(client.get(TRANSFER).content.decode())
    with CaptureQueriesContext(connection) as captured:
        assert client.post(TRANSFER, {"amount": "1", "idempotency_key": key}).status_code == 302
    # The test runs inside a transaction, so each atomic block shows up as SAVEPOINT/RELEASE
    # statements that a real request runs as BEGIN/COMMIT; count the work, not those.
    work = [
        q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(work) <= 12, [q[:80] for q in work]


def test_amounts_round_half_up_to_the_cent_on_the_page_and_in_exports(world):
    recharge(customer=world.a.customer, amount="5", rate="0.125")  # commission 0.625
    client = world.client_for("admin")
    rows = _page_rows(client.get(CASHBOOK).content.decode())
    assert rows[-1][7:9] == ["0.63", "0.63"]
    lines = list(csv.reader(io.StringIO(client.get(EXPORT).content.decode())))
    assert lines[2][7:9] == ["0.63", "0.63"]
    assert lines[-1][:2] == ["Total commission received", "0.63 EUR"]


def test_exports_of_another_tenant_hold_only_its_rows(world, sales):
    answer = world.client_for("accountant", world.b).get(EXPORT, {"_export": "csv"})
    lines = list(csv.reader(io.StringIO(answer.content.decode())))
    rows = lines[1:-3]
    assert [r[1] for r in rows] == ["Top-up", "Recharge"]  # B's own top-up and its one sale
    assert rows[1][2] == "J*** W*** · +49 179 ***4567" and "1234567" not in answer.content.decode()
    assert lines[-3][:2] == ["Total sold credit", "5.00 EUR"]


# --- Formula injection: every text cell is neutralised, numbers stay numbers ----------------

PAYLOADS = ['=HYPERLINK("http://evil.test","pay here")', "=1+1", "+1", "-1+1", "@SUM(1)"]


@pytest.fixture
def hostile(world):
    """A customer whose own name is a formula, and sub-reseller transfers whose notes are."""
    from resellers.services.subresellers import subreseller_credit_transfer
    from tests.factories import ResellerFactory

    a = world.a
    customer = CustomerFactory(reseller=a.reseller, name=PAYLOADS[0], phone="+491791110000")
    recharge(customer=customer, amount="20", actor=a.admin, memo="Recharge hostile")
    child = ResellerFactory(parent=a.reseller, currency=a.reseller.currency)
    for n, note in enumerate(PAYLOADS[1:]):
        subreseller_credit_transfer(
            parent=a.reseller,
            actor=a.admin,
            child_id=child.pk,
            amount=Decimal("-1" if n == 3 else "2"),  # the last one takes 1.00 back
            note=note,
            idempotency_key=f"hostile-{n}",
        )
    return customer


def _text_cells(rows):
    return [c for row in rows for c in row if isinstance(c, str)]


def test_csv_export_neutralises_formulas_in_names_and_notes(world, hostile):
    answer = world.client_for("admin").get(EXPORT, {"_export": "csv"})
    assert answer.status_code == 200
    lines = list(csv.reader(io.StringIO(answer.content.decode())))
    cells = [c for c in _text_cells(lines) if not re.fullmatch(r"-?\d+\.\d\d", c)]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    by_kind = {r[3]: r for r in lines[1:-3]}
    customer_cell = next(r[2] for r in lines if r[2].startswith("'=HYPERLINK"))
    assert customer_cell == "'" + PAYLOADS[0] + " · +49 179 1110000"
    for note in PAYLOADS[1:]:
        assert "'" + note in by_kind, note
    assert by_kind["'=1+1"][1] == "Transfer between resellers"
    # Amounts stay plain numbers, negative ones too (no quote in front of -20.00).
    assert by_kind["Recharge hostile"][5] == "-20.00"
    assert by_kind["'+1"][5] == "-2.00" and by_kind["'@SUM(1)"][5] == "1.00"


def test_xlsx_export_holds_no_formula_and_keeps_numbers(world, hostile):
    answer = world.client_for("admin").get(EXPORT, {"_export": "xlsx"})
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert not [c for c in _text_cells(values) if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    by_kind = {r[3]: r for r in values[1:-3]}
    assert "'" + PAYLOADS[0] + " · +49 179 1110000" in [r[2] for r in values]
    for note in PAYLOADS[1:]:
        assert "'" + note in by_kind, note
    sale = by_kind["Recharge hostile"]
    assert sale[5] == -20 and isinstance(sale[5], int | float)  # a number, not text
    assert by_kind["'+1"][5] == -2 and by_kind["'@SUM(1)"][5] == 1


def _date_values(html: str) -> dict[str, str]:
    """The value of every `<input type="date">` of the page, by name."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="date"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            value = re.search(r'value="([^"]*)"', tag)
            values[name] = value.group(1) if value else ""
    return values


@pytest.mark.parametrize("language", ["de", "fr", "pl"])
def test_the_date_range_is_iso_in_every_language_and_filters_with_iso(world, sales, language):
    """A date field takes only ISO values: the localised "01.11.2026" left the range empty."""
    world.a.admin.language = language
    world.a.admin.save(update_fields=["language"])
    client = world.client_for("admin")
    today = timezone.localdate()
    html = client.get(CASHBOOK).content.decode()
    assert _date_values(html) == {
        "date_from": today.replace(day=1).isoformat(),
        "date_to": today.isoformat(),
    }
    earlier = today - dt.timedelta(days=40)
    old = recharge(
        customer=world.a.customer,
        amount="5",
        actor=world.a.admin,
        at=timezone.make_aware(dt.datetime.combine(earlier, dt.time(12))),
    )
    start, end = earlier - dt.timedelta(days=1), earlier + dt.timedelta(days=1)
    answer = client.get(CASHBOOK, {"date_from": start.isoformat(), "date_to": end.isoformat()})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'class="invalid-feedback' not in html and "is-invalid" not in html
    assert _date_values(html) == {"date_from": start.isoformat(), "date_to": end.isoformat()}
    rows = _page_rows(html)
    assert len(rows) == 1, rows  # only the old sale: the range was applied
    assert rows[0][0].startswith(timezone.localtime(old.created_at).strftime("%Y-%m-%d"))
