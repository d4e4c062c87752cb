from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, tenant_role_required
from accounts.models import Role
from config.ui import filtered, paginated
from ledger import selectors as ledger_selectors
from ledger.tables import LatestMovementsTable
from resellers import selectors, services
from resellers.filters import AuditEventFilter, StaffResellerFilter
from resellers.forms import SuspendForm
from resellers.tables import AuditEventTable, StaffResellerTable, SubResellerTable

# --- Sales Panel (the tenant) -----------------------------------------------------------------


LATEST_ROWS = 8


@tenant_role_required(Role.ADMIN, Role.USER, Role.ACCOUNTANT)
def dashboard(request):
    reseller = request.reseller
    now = timezone.now()
    # A User sees their own sales; Admin and Accountant the reseller's.
    actor = request.user if request.membership.role == Role.USER else None
    accounts = ledger_selectors.reseller_cash_accounts(reseller=reseller)
    money = {"reseller": reseller, "accounts": accounts, "actor": actor}
    latest = ledger_selectors.cashbook_rows(**money, newest_first=True)[:LATEST_ROWS]
    return render(
        request,
        "resellers/dashboard.html",
        {
            "counts": selectors.reseller_dashboard_counts(reseller=reseller),
            "accounts": accounts,
            "sales": ledger_selectors.reseller_sales_summary(**money, now=now),
            "chart": _sales_chart(ledger_selectors.reseller_daily_sales(**money, now=now)),
            "latest": LatestMovementsTable(latest, reseller_id=reseller.pk),
        },
    )


def _sales_chart(days) -> dict:
    """Bars for the last days' sales: each day's share of the highest, in percent."""
    top = max((total for _, total in days), default=0)
    bars = [
        {"day": day, "total": total, "height": round(total * 100 / top) if top else 0}
        for day, total in days
    ]
    return {"bars": bars, "top": top, "sum": sum((t for _, t in days), 0)}


@tenant_role_required(Role.ADMIN)
def subreseller_list(request):
    table = paginated(
        request, SubResellerTable(selectors.sub_reseller_list(reseller=request.reseller))
    )
    return render(request, "resellers/subreseller_list.html", {"table": table})


@tenant_role_required(Role.ADMIN)
def subreseller_detail(request, pk: int):
    child = get_object_or_404(selectors.sub_reseller_list(reseller=request.reseller), pk=pk)
    return render(
        request,
        "resellers/subreseller_detail.html",
        {"child": child, "counts": selectors.reseller_dashboard_counts(reseller=child)},
    )


# --- Operator staff ---------------------------------------------------------------------------


@operator_staff_required
def staff_dashboard(request):
    return render(
        request,
        "resellers/staff_dashboard.html",
        {
            "status_counts": selectors.staff_reseller_status_counts(),
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


@operator_staff_required
def staff_reseller_detail(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    events = AuditEventTable(selectors.audit_event_list(reseller=reseller)[:20], orderable=False)
    return render(
        request,
        "resellers/staff_reseller_detail.html",
        {
            "reseller": reseller,
            "events": events,
            "suspend_form": SuspendForm(),
            "children": selectors.sub_reseller_list(reseller=reseller),
        },
    )


_STATE_ERRORS = {
    "already-suspended": gettext_lazy("This reseller is already suspended."),
    "not-approved": gettext_lazy("Only an approved reseller can be suspended."),
    "not-suspended": gettext_lazy("This reseller is not suspended."),
}


@require_POST
@operator_staff_required
def staff_reseller_suspend(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the suspension."))
        return redirect("resellers:staff-reseller-detail", pk=reseller.pk)
    try:
        services.reseller_suspend(
            reseller_id=reseller.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.ResellerStateError as exc:
        messages.error(request, _STATE_ERRORS[str(exc)])
    else:
        messages.success(request, _("%(name)s is suspended.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_reseller_reactivate(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    try:
        services.reseller_reactivate(reseller_id=reseller.pk, actor=request.user)
    except services.ResellerStateError as exc:
        messages.error(request, _STATE_ERRORS[str(exc)])
    else:
        messages.success(request, _("%(name)s is active again.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@operator_staff_required
def staff_audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=selectors.staff_audit_event_list())
    table = paginated(request, AuditEventTable(filtered(filterset)))
    return render(request, "resellers/staff_audit_list.html", {"table": table, "filter": filterset})
