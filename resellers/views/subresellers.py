"""Sub-resellers (reseller Admin): the list, creating one, its page, moving sales credit to
it and back."""

import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import tenant_role_required
from accounts.models import Role
from core.errors import DomainError, show_error
from core.money import money_display
from core.ui import paginated
from ledger.models import LedgerAccount
from ledger.selectors import reseller_balance, reseller_recent_entries
from ledger.services import IdempotencyConflict
from resellers import selectors
from resellers.commission import commission_plans, commission_rate_cap, commission_today
from resellers.forms import (
    CommissionPlanForm,
    CreditTransferForm,
    SubresellerCreateForm,
)
from resellers.services import commission, subresellers
from resellers.tables import (
    SubResellerTable,
)

Kind = LedgerAccount.Kind

# --- Sales Panel (the tenant) -----------------------------------------------------------------


HISTORY_ROWS = 50


@tenant_role_required(Role.ADMIN)
def subreseller_list(request):
    reseller = request.reseller
    table = paginated(request, SubResellerTable(selectors.sub_reseller_accounts(reseller=reseller)))
    allowance = selectors.subreseller_allowance(reseller=reseller)
    return render(
        request,
        "resellers/subreseller_list.html",
        {
            "table": table,
            "allowance": allowance,
            "refusal": (
                subresellers.SubresellerError.message_for(allowance.reason)
                if allowance.reason
                else ""
            ),
        },
    )


@tenant_role_required(Role.ADMIN)
def subreseller_create(request):
    parent = request.reseller
    allowance = selectors.subreseller_allowance(reseller=parent)
    if not allowance.allowed:
        messages.error(request, subresellers.SubresellerError.message_for(allowance.reason))
        return redirect("resellers:subreseller-list")
    form = SubresellerCreateForm(request.POST or None, parent=parent, allowance=allowance)
    if request.method == "POST" and form.is_valid():
        try:
            child = subresellers.subreseller_create(
                parent=parent, actor=request.user, **form.cleaned_data
            )
        except subresellers.SubresellerError as exc:
            show_error(request, exc, form)
        else:
            messages.success(
                request,
                _("%(name)s is created and approved. You are its Admin.") % {"name": child.name},
            )
            return redirect("resellers:subreseller-detail", pk=child.pk)
    return render(request, "resellers/subreseller_create.html", {"form": form})


def _plan_form(request, data=None) -> CommissionPlanForm:
    """The plan form, with the parent's own rate today as the cap it shows (the service
    checks the cap on the plan's first day)."""
    cap = commission_rate_cap(reseller=request.reseller, on=commission_today())
    return CommissionPlanForm(data, prefix="plan", cap=cap)


def _subreseller_page(request, child, form=None, status: int = 200, plan_form=None):
    return render(
        request,
        "resellers/subreseller_detail.html",
        {
            "child": child,
            "reseller": child,
            "plans": commission_plans(reseller=child),
            "plan_form": plan_form or _plan_form(request),
            "counts": selectors.reseller_dashboard_counts(reseller=child),
            "form": form or CreditTransferForm(currency=str(request.reseller.currency)),
            "history": reseller_recent_entries(
                reseller=child, kind=Kind.SALES_CREDIT, limit=HISTORY_ROWS
            ),
            "parent_credit": reseller_balance(reseller=request.reseller, kind=Kind.SALES_CREDIT),
        },
        status=status,
    )


@tenant_role_required(Role.ADMIN)
def subreseller_detail(request, pk: int):
    child = get_object_or_404(selectors.sub_reseller_accounts(reseller=request.reseller), pk=pk)
    return _subreseller_page(request, child)


@require_POST
@tenant_role_required(Role.ADMIN)
def subreseller_credit(request, pk: int):
    """Add credits to (or, with a negative amount, take them back from) a sub-reseller."""
    parent = request.reseller
    child = get_object_or_404(selectors.sub_reseller_accounts(reseller=parent), pk=pk)
    form = CreditTransferForm(request.POST, currency=str(parent.currency))
    if not form.is_valid():
        return _subreseller_page(request, child, form)
    try:
        subresellers.subreseller_credit_transfer(
            parent=parent,
            actor=request.user,
            child_id=child.pk,
            amount=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except IdempotencyConflict as exc:
        show_error(request, exc, form)
        form.data = form.data.copy()
        form.data["idempotency_key"] = str(uuid.uuid4())
        return _subreseller_page(request, child, form)
    except DomainError as exc:
        show_error(request, exc, form)
        return _subreseller_page(request, child, form)
    amount = form.cleaned_data["amount"]
    values = {
        "amount": money_display(abs(amount), str(parent.currency)),
        "name": child.name,
    }
    if amount > 0:
        message = _("%(amount)s moved to %(name)s.") % values
    else:
        message = _("%(amount)s taken back from %(name)s.") % values
    messages.success(request, message)
    return redirect("resellers:subreseller-detail", pk=child.pk)


@require_POST
@tenant_role_required(Role.ADMIN)
def subreseller_commission(request, pk: int):
    """Set a sub-reseller's commission plan, every rate at most the parent's own."""
    parent = request.reseller
    child = get_object_or_404(selectors.sub_reseller_accounts(reseller=parent), pk=pk)
    form = _plan_form(request, request.POST)
    if form.is_valid():
        try:
            plan = commission.commission_plan_set(
                reseller_id=child.pk, actor=request.user, by_parent=parent, **form.plan()
            )
        except commission.CommissionPlanError as exc:
            show_error(request, exc, form)
        else:
            messages.success(
                request,
                _("%(name)s earns %(rate)s %% from %(day)s on.")
                % {
                    "name": child.name,
                    "rate": floatformat(plan.rate, "-2"),
                    "day": date_format(plan.effective_from, "j M Y"),
                },
            )
            return redirect("resellers:subreseller-detail", pk=child.pk)
    return _subreseller_page(request, child, plan_form=form)
