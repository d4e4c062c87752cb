"""Commission plan pages: staff on the reseller page and on approval, a parent's Admin on its
sub-reseller's page, the cashbook showing the plan of each sale; bounded queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from customers.services import customer_recharge
from ledger.verify import ledger_verify
from resellers.commission import commission_today
from resellers.models import CommissionPlan, CommissionPlanTier, Reseller
from tests.factories import ResellerFactory
from tests.page_queries import CEILING, ROWS, page_queries
from tests.world import fund

pytestmark = pytest.mark.django_db


def _plan_data(**values):
    data = {"plan-rate": "5", "plan-effective_from": commission_today().isoformat()}
    data.update({f"plan-{k}": v for k, v in values.items()})
    return data


def test_staff_set_a_plan_with_tiers_on_the_reseller_page(world):
    reseller = world.a.reseller
    client = world.client_for("staff")
    url = reverse("resellers:staff-reseller-commission", kwargs={"pk": reseller.pk})
    tomorrow = commission_today() + dt.timedelta(days=1)
    answer = client.post(
        url,
        _plan_data(
            rate="6",
            tier_from_1="1000",
            tier_rate_1="7",
            effective_from=tomorrow.isoformat(),
            note="Autumn",
        ),
        follow=True,
    )
    html = answer.content.decode()
    assert "earns 6 % from" in html
    plan = CommissionPlan.objects.get(reseller=reseller)
    assert plan.effective_from == tomorrow and plan.set_by == world.staff
    assert plan.tiers.get().monthly_sales_from == Decimal("1000.00")
    plans = html.split('data-testid="commission-plans"', 1)[1]
    assert "Coming" in plans and "Autumn" in plans
    assert AuditEvent.objects.filter(action="reseller.commission_plan_set").count() == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rate": "120"}, "Ensure this value is less than or equal to 100."),
        ({"rate": "abc"}, "Enter the amount with the digits"),
        (
            {"tier_from_1": "500", "tier_rate_1": "6", "tier_from_2": "100", "tier_rate_2": "7"},
            "List the tiers from the lowest monthly sales to the highest",
        ),
        ({"tier_from_1": "500"}, "Fill in both the monthly sales and the rate of a tier"),
        ({"effective_from": "2020-01-01"}, "A plan starts today or later"),
    ],
)
def test_staff_plan_form_shows_what_is_wrong(world, values, message):
    client = world.client_for("staff")
    url = reverse("resellers:staff-reseller-commission", kwargs={"pk": world.a.reseller.pk})
    answer = client.post(url, _plan_data(**values))
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not CommissionPlan.objects.exists()


def test_approval_asks_for_the_rate_and_writes_the_plan(world):
    reseller = ResellerFactory(status=Reseller.Status.APPLIED, commission_rate=Decimal("0"))
    client = world.client_for("staff")
    detail = reverse("resellers:staff-application-detail", kwargs={"pk": reseller.pk})
    page = client.get(detail).content.decode()
    form = page.split('data-testid="approve-form"', 1)[1].split("</form>", 1)[0]
    assert 'name="plan-rate"' in form and 'name="plan-tier_from_1"' in form
    approve = reverse("resellers:staff-application-approve", kwargs={"pk": reseller.pk})
    answer = client.post(approve, {"confirm": "yes"})  # no rate: refused
    assert answer.status_code == 200
    assert "enter the commission plan first" in answer.content.decode()
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPLIED
    assert not CommissionPlan.objects.filter(reseller=reseller).exists()
    client.post(approve, {"confirm": "yes", "plan-rate": "6.5", "plan-note": "welcome"})
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPROVED
    plan = CommissionPlan.objects.get(reseller=reseller)
    assert plan.rate == Decimal("6.50") and plan.effective_from == commission_today()
    event = AuditEvent.objects.get(action="reseller.commission_plan_set", reseller=reseller)
    assert event.data["rate"] == "6.50" and event.data["note"] == "welcome"


def test_a_parent_sets_its_childs_plan_capped_by_its_own(world):
    parent, child = world.a.reseller, world.a.child
    CommissionPlan.objects.create(
        reseller=parent, effective_from=commission_today(), rate="8", source="staff"
    )
    client = world.client_for("admin")
    detail = reverse("resellers:subreseller-detail", kwargs={"pk": child.pk})
    page = client.get(detail).content.decode()
    assert "At most your own 8 %" in page.split('data-testid="plan-cap"', 1)[1]
    url = reverse("resellers:subreseller-commission", kwargs={"pk": child.pk})
    answer = client.post(url, _plan_data(rate="7", tier_from_1="100", tier_rate_1="9"))
    assert answer.status_code == 200
    assert "A sub-reseller earns at most your own rate on that day, 8 %." in (
        answer.content.decode()
    )
    assert not CommissionPlan.objects.filter(reseller=child).exists()
    answer = client.post(url, _plan_data(rate="8"), follow=True)
    assert "earns 8 % from" in answer.content.decode()
    assert CommissionPlan.objects.get(reseller=child).source == "parent"
    # Another tenant's sub-reseller: not found.
    other = world.b.child
    url = reverse("resellers:subreseller-commission", kwargs={"pk": other.pk})
    assert client.post(url, _plan_data(rate="1")).status_code == 404


def test_the_cashbook_and_dashboard_show_the_plan_of_each_sale(world):
    reseller, customer = world.a.reseller, world.a.customer
    plan = CommissionPlan.objects.create(
        reseller=reseller,
        effective_from=dt.date(2026, 12, 1),
        rate="5",
        source="staff",
    )
    fund(reseller)
    day = commission_today()
    if day < plan.effective_from:  # the plan must be in force for the sale: date it so
        plan.effective_from = day.replace(day=1)
        plan.save()
    customer_recharge(
        reseller=reseller,
        actor=world.a.admin,
        phone=customer.phone,
        amount="10",
        idempotency_key="cashbook-plan",
    )
    expected = f"5 % · plan from {plan.effective_from.day} "
    client = world.client_for("admin")
    cashbook = client.get(reverse("ledger:cashbook")).content.decode()
    assert expected in cashbook
    dashboard = client.get(reverse("resellers:dashboard")).content.decode()
    assert expected in dashboard
    export = client.get(reverse("ledger:cashbook-export"), {"_export": "csv"}).content.decode()
    assert "Commission rate" in export and expected in export
    report = ledger_verify()
    assert not any(report.violations.values())


def test_the_plan_pages_have_bounded_queries(world, django_assert_max_num_queries):
    parent = world.a.reseller
    child = world.a.child
    made = {"n": 0}

    def add_plans(reseller):
        def add(n):
            for _ in range(n):
                made["n"] += 1
                plan = CommissionPlan.objects.create(
                    reseller=reseller,
                    effective_from=commission_today() + dt.timedelta(days=made["n"]),
                    rate="1",
                    source="staff",
                )
                CommissionPlanTier.objects.create(plan=plan, monthly_sales_from="10", rate="2")

        return add

    def bounded(client, url, add):
        # As tests.page_queries.assert_bounded, counting plans rather than table rows.
        add(1)
        first = page_queries(client, url)
        assert first <= CEILING, f"{url}: {first} queries for one plan"
        add(ROWS)
        with django_assert_max_num_queries(first):
            html = client.get(url).content.decode()
        assert html.count('data-testid="commission-plan"') == ROWS + 1, url

    bounded(
        world.client_for("staff"),
        reverse("resellers:staff-reseller-detail", kwargs={"pk": parent.pk}),
        add_plans(parent),
    )
    bounded(
        world.client_for("admin"),
        reverse("resellers:subreseller-detail", kwargs={"pk": child.pk}),
        add_plans(child),
    )
