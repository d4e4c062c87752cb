"""Commission plans (services): validation, never editing a plan in force, replacing one not
yet in force, a parent's cap, the first plan at creation and approval, the audit row."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from resellers.commission import commission_plans, commission_today
from resellers.models import CommissionPlan, Reseller
from resellers.services import subresellers
from resellers.services.commission import CommissionPlanError, commission_plan_set
from resellers.services.lifecycle import reseller_create
from resellers.services.onboarding import reseller_approve
from tests.factories import ResellerFactory, SubResellerFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = commission_today


def _set(reseller, actor, **overrides):
    values = {"rate": "5", "tiers": (), "effective_from": TODAY(), "note": ""}
    values.update(overrides)
    return commission_plan_set(reseller_id=reseller.pk, actor=actor, **values)


def test_staff_set_a_plan_with_tiers_and_it_is_audited():
    reseller, staff = ResellerFactory(), UserFactory(is_staff=True)
    plan = _set(
        reseller, staff, rate="4.5", tiers=[("1000", "5"), ("5000", "6.25")], note="Q1 deal"
    )
    assert plan.rate == Decimal("4.50") and plan.source == CommissionPlan.Source.STAFF
    assert [(t.monthly_sales_from, t.rate) for t in plan.tiers.order_by("pk")] == [
        (Decimal("1000.00"), Decimal("5.00")),
        (Decimal("5000.00"), Decimal("6.25")),
    ]
    event = AuditEvent.objects.get(action="reseller.commission_plan_set", reseller=reseller)
    assert event.actor == staff
    assert event.data == {
        "plan_id": plan.pk,
        "rate": "4.50",
        "tiers": [["1000.00", "5.00"], ["5000.00", "6.25"]],
        "effective_from": TODAY().isoformat(),
        "source": "staff",
        "note": "Q1 deal",
        "replaced": None,
    }
    assert commission_plans(reseller=reseller).current == plan


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"rate": "100.01"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "5.555"}, "rate"),
        ({"tiers": [("0", "5")]}, "tier-threshold"),
        ({"tiers": [("100", "101")]}, "tier-rate"),
        ({"tiers": [("200", "6"), ("100", "7")]}, "tier-order"),
        ({"tiers": [("100", "6"), ("100", "7")]}, "tier-order"),
        ({"tiers": [(str(n * 10), "6") for n in range(1, 6)]}, "too-many-tiers"),
        ({"effective_from": dt.date(2020, 1, 1)}, "past-date"),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_is_written(values, code):
    reseller = ResellerFactory()
    with pytest.raises(CommissionPlanError) as err:
        _set(reseller, None, **values)
    assert err.value.code == code
    assert not CommissionPlan.objects.filter(reseller=reseller).exists()
    assert not AuditEvent.objects.filter(action="reseller.commission_plan_set").exists()


def test_a_plan_in_force_is_never_changed_one_not_yet_in_force_is_replaced():
    reseller, staff = ResellerFactory(), UserFactory(is_staff=True)
    _set(reseller, staff, rate="5")
    with pytest.raises(CommissionPlanError) as err:
        _set(reseller, staff, rate="6")  # the same day: today's plan is in force
    assert err.value.code == "in-force" and err.value.field == "effective_from"
    tomorrow = TODAY() + dt.timedelta(days=1)
    first = _set(reseller, staff, rate="7", effective_from=tomorrow)
    second = _set(reseller, staff, rate="8", tiers=[("10", "9")], effective_from=tomorrow)
    plans = commission_plans(reseller=reseller)
    assert plans.current.rate == Decimal("5.00")
    assert [p.rate for p in plans.upcoming] == [Decimal("8.00")]
    assert not CommissionPlan.objects.filter(pk=first.pk).exists()
    event = AuditEvent.objects.filter(action="reseller.commission_plan_set").order_by("-id")[0]
    assert event.data["plan_id"] == second.pk
    assert event.data["replaced"] == {"plan_id": first.pk, "rate": "7.00", "tiers": []}


def test_a_parent_sets_its_childs_plan_never_above_its_own_rate():
    parent = ResellerFactory(commission_rate=Decimal("8"))
    child = SubResellerFactory(parent=parent, commission_rate=Decimal("2"))
    admin = UserFactory()
    next_week = TODAY() + dt.timedelta(days=7)
    CommissionPlan.objects.create(
        reseller=parent, effective_from=next_week, rate="6", source="staff"
    )
    plan = commission_plan_set(
        reseller_id=child.pk,
        actor=admin,
        rate="8",
        effective_from=TODAY(),
        by_parent=parent,
    )
    assert plan.source == CommissionPlan.Source.PARENT
    # From next week the parent earns 6 %: a child's tier above it is refused, with the cap.
    with pytest.raises(CommissionPlanError) as err:
        commission_plan_set(
            reseller_id=child.pk,
            actor=admin,
            rate="5",
            tiers=[("100", "7")],
            effective_from=next_week,
            by_parent=parent,
        )
    assert err.value.code == "above-parent" and "6 %" in str(err.value)
    # Not its child: refused.
    with pytest.raises(CommissionPlanError) as err:
        commission_plan_set(
            reseller_id=ResellerFactory().pk,
            actor=admin,
            rate="1",
            effective_from=TODAY(),
            by_parent=parent,
        )
    assert err.value.code == "not-child"


def test_subreseller_creation_caps_by_the_parents_plan_and_writes_the_first_plan():
    parent = ResellerFactory(commission_rate=Decimal("10"), may_create_subresellers=True)
    CommissionPlan.objects.create(reseller=parent, effective_from=TODAY(), rate="4", source="staff")
    admin = UserFactory()
    values = {"name": "Kiosk", "legal_name": "Kiosk UG", "country": "DE"}
    values["contact_email"] = "kiosk@example.test"
    with pytest.raises(subresellers.SubresellerError) as err:
        subresellers.subreseller_create(
            parent=parent, actor=admin, commission_rate=Decimal("5"), **values
        )
    assert err.value.code == "commission-too-high"
    child = subresellers.subreseller_create(
        parent=parent, actor=admin, commission_rate=Decimal("4"), **values
    )
    plan = CommissionPlan.objects.get(reseller=child)
    assert (plan.rate, plan.effective_from, plan.source) == (Decimal("4.00"), TODAY(), "parent")


def test_reseller_create_with_a_rate_writes_the_first_plan():
    reseller = reseller_create(
        actor=None,
        name="Nord",
        legal_name="Nord GmbH",
        slug="nord",
        country="DE",
        contact_email="nord@example.test",
        currency="EUR",
        commission_rate=Decimal("3"),
    )
    plan = CommissionPlan.objects.get(reseller=reseller)
    assert plan.rate == Decimal("3.00") and plan.effective_from == TODAY()


def test_approval_with_a_rate_writes_the_plan_in_its_transaction():
    reseller = ResellerFactory(status=Reseller.Status.APPLIED, commission_rate=Decimal("0"))
    staff = UserFactory(is_staff=True)
    with pytest.raises(CommissionPlanError):
        reseller_approve(reseller_id=reseller.pk, actor=staff, commission_rate="150")
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPLIED  # nothing approved without its plan
    reseller_approve(
        reseller_id=reseller.pk,
        actor=staff,
        commission_rate="6",
        commission_tiers=[("500", "7")],
    )
    reseller.refresh_from_db()
    assert reseller.status == Reseller.Status.APPROVED
    assert reseller.commission_rate == Decimal("6.00")
    plan = CommissionPlan.objects.get(reseller=reseller)
    assert plan.effective_from == TODAY() and plan.tiers.get().rate == Decimal("7.00")
    actions = list(
        AuditEvent.objects.filter(reseller=reseller).order_by("id").values_list("action", flat=True)
    )
    assert actions[-2:] == ["reseller.commission_plan_set", "reseller.approved"]
