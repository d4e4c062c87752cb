"""Operator staff: the staff dashboard, every reseller (suspend, reactivate, sub-reseller
policy, credits and debits) and the audit log."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required
from core.errors import DomainError, show_error
from core.money import money_display
from core.ui import filtered, paginated
from ledger.models import LedgerAccount
from ledger.selectors import reseller_recent_entries
from ledger.services import IdempotencyConflict
from resellers import selectors
from resellers.commission import commission_plans
from resellers.filters import (
    AuditEventFilter,
    StaffResellerFilter,
)
from resellers.forms import (
    CommissionPlanForm,
    StaffCreditForm,
    SubresellerPolicyForm,
    SuspendForm,
)
from resellers.models import Reseller
from resellers.services import commission, lifecycle, subresellers
from resellers.tables import (
    AuditEventTable,
    StaffResellerTable,
)
from resellers.views.subresellers import HISTORY_ROWS

Kind = LedgerAccount.Kind

# --- Sales Panel (the tenant) -----------------------------------------------------------------


@operator_staff_required
def staff_dashboard(request):
    return render(
        request,
        "resellers/staff_dashboard.html",
        {
            "status_counts": [
                (status, Reseller.Status(status).label, n)
                for status, n in selectors.staff_reseller_status_counts().items()
            ],
            "recent_events": selectors.staff_audit_event_list()[:10],
        },
    )


@operator_staff_required
def staff_reseller_list(request):
    filterset = StaffResellerFilter(request.GET, queryset=selectors.staff_reseller_list())
    table = paginated(request, StaffResellerTable(filtered(filterset)))
    return render(
        request, "resellers/staff_reseller_list.html", {"table": table, "filter": filterset}
    )


def _staff_reseller_page(
    request, pk: int, *, credit_form=None, policy_form=None, plan_form=None, status: int = 200
):
    try:
        reseller = selectors.staff_reseller_get(pk=pk)
    except Reseller.DoesNotExist:
        raise Http404 from None
    events = AuditEventTable(
        selectors.audit_event_list(reseller=reseller)[:20], orderable=False, exclude=("reseller",)
    )
    return render(
        request,
        "resellers/staff_reseller_detail.html",
        {
            "reseller": reseller,
            "events": events,
            "suspend_form": SuspendForm(),
            "children": selectors.sub_reseller_list(reseller=reseller),
            "credit_form": credit_form
            or StaffCreditForm(currency=str(reseller.currency), prefix="credit"),
            "policy_form": policy_form
            or SubresellerPolicyForm(
                prefix="policy",
                initial={
                    "may_create_subresellers": reseller.may_create_subresellers,
                    "subreseller_depth_limit": reseller.subreseller_depth_limit,
                },
            ),
            "history": reseller_recent_entries(
                reseller=reseller, kind=Kind.SALES_CREDIT, limit=HISTORY_ROWS
            ),
            "plans": commission_plans(reseller=reseller),
            "plan_form": plan_form or CommissionPlanForm(prefix="plan"),
        },
        status=status,
    )


@operator_staff_required
def staff_reseller_detail(request, pk: int):
    return _staff_reseller_page(request, pk)


@require_POST
@operator_staff_required
def staff_reseller_policy(request, pk: int):
    """Allow or stop sub-resellers for a reseller, with the depth limit of its tree."""
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = SubresellerPolicyForm(request.POST, prefix="policy")
    if not form.is_valid():
        return _staff_reseller_page(request, pk, policy_form=form)
    try:
        subresellers.reseller_subreseller_policy_set(
            reseller_id=reseller.pk,
            actor=request.user,
            may_create=form.cleaned_data["may_create_subresellers"],
            depth_limit=form.cleaned_data["subreseller_depth_limit"],
        )
    except subresellers.SubresellerError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("The sub-reseller settings are saved."))
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_reseller_commission(request, pk: int):
    """Set a reseller's commission plan from a day on (today or later)."""
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = CommissionPlanForm(request.POST, prefix="plan")
    if form.is_valid():
        try:
            plan = commission.commission_plan_set(
                reseller_id=reseller.pk, actor=request.user, **form.plan()
            )
        except commission.CommissionPlanError as exc:
            show_error(request, exc, form)
        else:
            messages.success(
                request,
                _("%(name)s earns %(rate)s %% from %(day)s on.")
                % {
                    "name": reseller.name,
                    "rate": floatformat(plan.rate, "-2"),
                    "day": date_format(plan.effective_from, "j M Y"),
                },
            )
            return redirect("resellers:staff-reseller-detail", pk=reseller.pk)
    return _staff_reseller_page(request, pk, plan_form=form)


@require_POST
@operator_staff_required
def staff_reseller_credit(request, pk: int):
    """Credit or debit a reseller's sales credit against the operator's bank, with a reason."""
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = StaffCreditForm(request.POST, currency=str(reseller.currency), prefix="credit")
    if not form.is_valid():
        return _staff_reseller_page(request, pk, credit_form=form)
    try:
        subresellers.reseller_credit_adjust(
            reseller_id=reseller.pk,
            actor=request.user,
            direction=form.cleaned_data["direction"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except IdempotencyConflict as exc:
        show_error(request, exc, form)
        form.data = form.data.copy()
        form.data[form.add_prefix("idempotency_key")] = str(uuid.uuid4())
        return _staff_reseller_page(request, pk, credit_form=form)
    except DomainError as exc:
        show_error(request, exc, form)
        return _staff_reseller_page(request, pk, credit_form=form)
    if reseller.status == Reseller.Status.APPLIED:
        messages.info(
            request,
            _("%(name)s is not approved yet: the amount is on its pending account.")
            % {"name": reseller.name},
        )
    values = {
        "name": reseller.name,
        "amount": money_display(form.cleaned_data["amount"], str(reseller.currency)),
    }
    if form.cleaned_data["direction"] == "credit":
        message = _("%(amount)s credited to %(name)s.") % values
    else:
        message = _("%(amount)s debited from %(name)s.") % values
    messages.success(request, message)
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_reseller_suspend(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the suspension."))
        return redirect("resellers:staff-reseller-detail", pk=reseller.pk)
    try:
        lifecycle.reseller_suspend(
            reseller_id=reseller.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except lifecycle.ResellerStateError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("%(name)s is suspended.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_reseller_reactivate(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    try:
        lifecycle.reseller_reactivate(reseller_id=reseller.pk, actor=request.user)
    except lifecycle.ResellerStateError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("%(name)s is active again.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@operator_staff_required
def staff_audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=selectors.staff_audit_event_list())
    table = paginated(request, AuditEventTable(filtered(filterset)))
    return render(request, "resellers/staff_audit_list.html", {"table": table, "filter": filterset})
