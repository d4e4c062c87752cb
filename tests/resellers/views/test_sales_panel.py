"""The Sales Panel dashboard: balances, today's and this month's sales, latest movements."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.actions import commission_transfer
from tests.factories import CustomerFactory
from tests.ledger.cashbook_data import recharge

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("resellers:dashboard")


def _stat(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1).strip()


def _latest_rows(html: str) -> int:
    table = html.split('data-testid="latest"', 1)[1].split("</table>", 1)[0]
    return len(re.findall(r"<tr", table.split("<tbody", 1)[1]))


@pytest.fixture
def sold(world):
    a = world.a
    recharge(customer=a.customer, amount="20", actor=a.user)
    recharge(customer=CustomerFactory(reseller=a.reseller), amount="10", actor=a.admin)
    recharge(
        customer=a.customer, amount="7", actor=a.user, at=timezone.now() - dt.timedelta(days=60)
    )
    return a


def test_admin_sees_balances_and_sales(world, sold):
    html = world.client_for("admin").get(DASHBOARD).content.decode()
    assert _stat(html, "sales-credit") == "63.00"  # 100 - 20 - 10 - 7
    assert _stat(html, "commission-credit") == "3.70"
    assert _stat(html, "today-sold") == "30.00"
    assert _stat(html, "month-sold") == "30.00"
    assert "2 sales" in html
    assert _latest_rows(html) == 4  # top-up and three recharges, newest first
    assert 'data-testid="sales-chart"' in html and html.count('class="sales-bar"') == 30


def test_a_user_sees_their_own_sales(world, sold):
    html = world.client_for("user").get(DASHBOARD).content.decode()
    assert _stat(html, "today-sold") == "20.00"
    assert "Your sales today" in html
    assert _latest_rows(html) == 2  # their two recharges
    assert reverse("ledger:commission-transfer") not in html


def test_links_to_each_action_by_role(world, sold):
    admin = world.client_for("admin").get(DASHBOARD).content.decode()
    for name in ("ledger:commission-transfer", "ledger:cashbook", "resellers:subreseller-list"):
        assert reverse(name) in admin
    accountant = world.client_for("accountant").get(DASHBOARD).content.decode()
    assert reverse("ledger:cashbook") in accountant
    assert reverse("ledger:commission-transfer") not in accountant


def test_recharge_link_only_when_the_page_exists(world):
    from django.urls import NoReverseMatch

    html = world.client_for("user").get(DASHBOARD).content.decode()
    try:
        url = reverse("customers:recharge")
    except NoReverseMatch:
        assert "Register / Recharge Customer" not in html
    else:
        assert url in html


def test_a_fresh_reseller_sees_zeros(world):
    html = world.client_for("admin", world.b).get(DASHBOARD).content.decode()
    assert _stat(html, "commission-credit") == "0.00"
    assert _stat(html, "today-sold") == "0.00"
    assert "no sales yet" in html


def test_commission_transfer_shows_on_the_dashboard(world, sold):
    commission_transfer(reseller=sold.reseller, actor=sold.admin, amount="3", idempotency_key="d")
    html = world.client_for("admin").get(DASHBOARD).content.decode()
    assert _stat(html, "sales-credit") == "66.00"
    assert _stat(html, "commission-credit") == "0.70"
    assert "Commission transfer" in html


@pytest.mark.parametrize("role", ["admin", "user", "accountant"])
def test_dashboard_queries_are_bounded(world, sold, django_assert_max_num_queries, role):
    for _ in range(30):
        recharge(customer=world.a.customer, amount="1", actor=world.a.user)
    client = world.client_for(role)
    with django_assert_max_num_queries(15):
        assert client.get(DASHBOARD).status_code == 200


def test_the_sales_chart_has_its_figures_as_a_table(world, sold):
    """The bars are a picture for the eye (role=img with a label, the SVGs hidden from screen
    readers); the same 30 days and amounts are in a table under it."""
    html = world.client_for("admin").get(DASHBOARD).content.decode()
    chart = html.split('data-testid="sales-chart"', 1)[0].rsplit("<div", 1)[1]
    assert 'role="img"' in chart and 'aria-label="Sold credit per day' in chart
    bars = html.split('data-testid="sales-chart"', 1)[1].split("</div>\n", 1)[0]
    assert bars.count("<svg") == 30 == bars.count('aria-hidden="true"')
    table = html.split('data-testid="sales-table"', 1)[1].split("</details>", 1)[0]
    assert "<summary" in table and "<caption" in table and "Sold (EUR)" in table
    rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"text-end\">([^<]*)</td></tr>", table)
    assert len(rows) == 30
    today = timezone.localdate()
    assert rows[-1] == (today.strftime("%a %-d %b"), "30.00")  # today: 20 + 10
    assert sum(float(amount) for _, amount in rows) == 30.0  # the sale 60 days ago is not in it
