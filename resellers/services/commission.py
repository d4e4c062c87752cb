"""Commission plans: operator staff (or a parent reseller's Admin, for its sub-resellers) set
the rate a reseller earns from a date on, optionally in tiers by its monthly sales.

A plan in force is never changed: a new rate is a new plan from today or a later day. A plan
not yet in force is replaced by setting the same day again (audited as a replacement)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from core.errors import CodedError
from resellers.commission import commission_rate_cap, commission_today
from resellers.models import CommissionPlan, CommissionPlanTier, Reseller

MAX_TIERS = 4
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_LARGEST_THRESHOLD = Decimal("999999999999.99")


def _lock(reseller_id: int) -> Reseller:
    # lifecycle.reseller_lock, which cannot be imported here: lifecycle writes first plans.
    return Reseller.objects.select_for_update().get(pk=reseller_id)


class CommissionPlanError(CodedError):
    """A commission plan that cannot be set; `code` names the reason."""

    message = gettext_lazy("This commission plan cannot be set.")
    messages = {
        "rate": gettext_lazy("Enter a commission rate from 0 to 100 %."),
        "tier-rate": gettext_lazy("Each tier's rate is from 0 to 100 %."),
        "tier-threshold": gettext_lazy(
            "Each tier starts at monthly sales above zero, with at most two decimal places."
        ),
        "tier-order": gettext_lazy(
            "List the tiers from the lowest monthly sales to the highest, each higher than the "
            "one before."
        ),
        "too-many-tiers": gettext_lazy("A plan has at most %(max)s tiers."),
        "past-date": gettext_lazy(
            "A plan starts today or later: %(today)s is the earliest day you can choose."
        ),
        "in-force": gettext_lazy(
            "The plan from %(day)s is already in force and cannot be changed; choose a later "
            "day for the new plan."
        ),
        "above-parent": gettext_lazy(
            "A sub-reseller earns at most your own rate on that day, %(cap)s %%."
        ),
        "not-child": gettext_lazy("This is not one of your sub-resellers."),
        "note": gettext_lazy("The note has at most 300 characters."),
    }
    fields = {
        "rate": "rate",
        "tier-rate": "tiers",
        "tier-threshold": "tiers",
        "tier-order": "tiers",
        "too-many-tiers": "tiers",
        "past-date": "effective_from",
        "in-force": "effective_from",
        "above-parent": "rate",
        "note": "note",
    }

    def __init__(self, code: str, **params):
        super().__init__(code, max=MAX_TIERS, **params)


def _percent(value, code: str) -> Decimal:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise CommissionPlanError(code) from None
    if not rate.is_finite() or not 0 <= rate <= _HUNDRED or rate.quantize(_CENT) != rate:
        raise CommissionPlanError(code)
    return rate.quantize(_CENT)


def commission_plan_check(
    *, rate, tiers: Iterable[tuple], effective_from: dt.date, note: str = ""
) -> tuple[Decimal, list[tuple[Decimal, Decimal]]]:
    """The rate and tiers ((monthly sales from, rate), ...) as they are stored, or
    CommissionPlanError: a rate outside 0–100 %, a threshold not above zero, thresholds not
    strictly increasing, too many tiers, a day before today (settings.TIME_ZONE)."""
    rate = _percent(rate, "rate")
    checked: list[tuple[Decimal, Decimal]] = []
    for threshold, tier_rate in tiers:
        try:
            threshold = Decimal(str(threshold))
        except (InvalidOperation, ValueError, TypeError):
            raise CommissionPlanError("tier-threshold") from None
        if (
            not threshold.is_finite()
            or threshold <= 0
            or threshold > _LARGEST_THRESHOLD
            or threshold.quantize(_CENT) != threshold
        ):
            raise CommissionPlanError("tier-threshold")
        if checked and threshold <= checked[-1][0]:
            raise CommissionPlanError("tier-order")
        checked.append((threshold.quantize(_CENT), _percent(tier_rate, "tier-rate")))
    if len(checked) > MAX_TIERS:
        raise CommissionPlanError("too-many-tiers")
    today = commission_today()
    if effective_from < today:
        raise CommissionPlanError("past-date", today=date_format(today))
    if len(note) > 300:
        raise CommissionPlanError("note")
    return rate, checked


def _cap_check(*, parent: Reseller, rate: Decimal, tiers, effective_from: dt.date) -> None:
    cap = commission_rate_cap(reseller=parent, on=effective_from)
    if rate > cap or any(tier_rate > cap for _threshold, tier_rate in tiers):
        raise CommissionPlanError("above-parent", cap=f"{cap.normalize():f}")


def plan_write(
    *,
    reseller: Reseller,
    actor: User | None,
    rate,
    tiers: Iterable[tuple] = (),
    effective_from: dt.date,
    note: str = "",
    source: str = CommissionPlan.Source.STAFF,
    parent: Reseller | None = None,
) -> CommissionPlan:
    """Write a plan inside the caller's transaction, with `reseller` locked by the caller
    (approval and creation set the first plan this way). `parent`: set by that parent
    reseller, every rate capped by its own. A plan already on that day is replaced if it is
    not in force yet, or if the reseller could not sell under it (not yet approved)."""
    note = (note or "").strip()
    rate, tiers = commission_plan_check(
        rate=rate, tiers=tiers, effective_from=effective_from, note=note
    )
    if parent is not None:
        _cap_check(parent=parent, rate=rate, tiers=tiers, effective_from=effective_from)
    existing = (
        CommissionPlan.objects.select_for_update()
        .filter(reseller=reseller, effective_from=effective_from)
        .first()
    )
    replaced = None
    if existing is not None:
        selling = reseller.status != Reseller.Status.APPLIED
        if existing.effective_from <= commission_today() and selling:
            raise CommissionPlanError("in-force", day=date_format(existing.effective_from))
        replaced = {
            "plan_id": existing.pk,
            "rate": str(existing.rate),
            "tiers": [[str(t.monthly_sales_from), str(t.rate)] for t in existing.tiers.all()],
        }
        existing.delete()
    plan = CommissionPlan.objects.create(
        reseller=reseller,
        effective_from=effective_from,
        rate=rate,
        set_by=actor,
        source=source,
        note=note,
    )
    CommissionPlanTier.objects.bulk_create(
        CommissionPlanTier(plan=plan, monthly_sales_from=threshold, rate=tier_rate)
        for threshold, tier_rate in tiers
    )
    audit_record(
        actor=actor,
        action="reseller.commission_plan_set",
        reseller=reseller,
        obj=reseller,
        data={
            "plan_id": plan.pk,
            "rate": str(rate),
            "tiers": [[str(threshold), str(tier_rate)] for threshold, tier_rate in tiers],
            "effective_from": effective_from.isoformat(),
            "source": source,
            "note": note,
            "replaced": replaced,
        },
    )
    return plan


@transaction.atomic(durable=True)
def commission_plan_set(
    *,
    reseller_id: int,
    actor: User,
    rate,
    tiers: Iterable[tuple] = (),
    effective_from: dt.date,
    note: str = "",
    by_parent: Reseller | None = None,
) -> CommissionPlan:
    """Set the commission plan of the reseller `reseller_id` from `effective_from` (today or
    later) on: `rate` (%), and `tiers` ((monthly sales from, rate), ...; the rate from that
    much of the month's sales on). Operator staff set any reseller's; `by_parent` (acting
    as that reseller's Admin) its direct sub-resellers', every rate at most its own base
    rate in force on that day. Audited as "reseller.commission_plan_set"."""
    if by_parent is not None:
        if not Reseller.objects.filter(pk=reseller_id, parent_id=by_parent.pk).exists():
            raise CommissionPlanError("not-child")
        # Parent before child: ids need not be ordered, but a parent is locked before its
        # children everywhere (sub-reseller creation locks the parent too).
        by_parent = _lock(by_parent.pk)
    reseller = _lock(reseller_id)
    return plan_write(
        reseller=reseller,
        actor=actor,
        rate=rate,
        tiers=tiers,
        effective_from=effective_from,
        note=note,
        source=CommissionPlan.Source.PARENT if by_parent else CommissionPlan.Source.STAFF,
        parent=by_parent,
    )
