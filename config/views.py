"""Views that belong to no app: the front door, the dashboard dispatch, the health check."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.access import public, signed_in_required
from config.celery import app


@public
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("account_login")


@signed_in_required
def dashboard(request):
    """Send each person to the dashboard of their role."""
    if request.user.is_staff:
        return redirect("resellers:staff-dashboard")
    if request.membership is not None:
        if request.reseller.is_pending_approval:
            return redirect("resellers:application")
        return redirect("resellers:dashboard")
    if request.memberships:
        return redirect("accounts:tenant-choose")
    if request.customer is not None:
        return redirect("customers:portal")
    return render(request, "no_tenant.html")


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured (tasks run eagerly)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@public
@never_cache
def healthz(request):
    """Liveness and readiness: the database and, when configured, the Celery broker."""
    report, healthy = {}, True
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            report[name] = check()
        except Exception as exc:  # any failure of a dependency is a failed check
            report[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    report["status"] = "ok" if healthy else "error"
    return JsonResponse(report, status=200 if healthy else 503)
