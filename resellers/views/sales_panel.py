"""The Sales Panel's home: the reseller's dashboard."""

from django.shortcuts import render
from django.utils import timezone

from accounts.access import tenant_role_required
from accounts.models import Role
from ledger import selectors as ledger_selectors
from ledger.tables import LatestMovementsTable
from resellers import selectors
from resellers.commission import commission_plan_in_force, commission_today

# --- Sales Panel (the tenant) -----------------------------------------------------------------


LATEST_ROWS = 8


def _sales_chart(days) -> dict:
    """Bars for the last days' sales: each day's share of the highest, in percent, and the
    empty space above it (an SVG rectangle's y: no inline style, which the CSP refuses)."""
    top = max((total for _, total in days), default=0)
    bars = []
    for day, total in days:
        height = round(total * 100 / top) if top else 0
        bars.append({"day": day, "total": total, "height": height, "y": 100 - height})
    return {"bars": bars, "top": top, "sum": sum((t for _, t in days), 0)}


@tenant_role_required(Role.ADMIN, Role.USER, Role.ACCOUNTANT)
def dashboard(request):
    reseller = request.reseller
    now = timezone.now()
    # A User sees their own sales; Admin and Accountant the reseller's.
    actor = request.user if request.membership.role == Role.USER else None
    accounts = ledger_selectors.reseller_cash_accounts(reseller=reseller)
    money = {"reseller": reseller, "accounts": accounts, "actor": actor}
    latest = ledger_selectors.cashbook_rows(**money, newest_first=True)[:LATEST_ROWS]
    plan = commission_plan_in_force(reseller=reseller, on=commission_today(now))
    return render(
        request,
        "resellers/dashboard.html",
        {
            "counts": selectors.reseller_dashboard_counts(reseller=reseller),
            "accounts": accounts,
            "sales": ledger_selectors.reseller_sales_summary(**money, now=now),
            "chart": _sales_chart(ledger_selectors.reseller_daily_sales(**money, now=now)),
            "latest": LatestMovementsTable(latest, reseller_id=reseller.pk),
            "commission_rate": plan.rate if plan is not None else reseller.commission_rate,
            "commission_tiered": plan is not None and plan.tiered,
        },
    )
