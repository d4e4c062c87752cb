from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import signed_in_required, tenant_role_required
from accounts.models import Role
from accounts.selectors import membership_list
from accounts.tables import MembershipTable
from config.ui import paginated
from resellers.tenancy import SESSION_KEY


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@signed_in_required
def tenant_choose(request):
    """The resellers the user belongs to; choosing one keeps it in the session."""
    return render(
        request,
        "accounts/tenant_choose.html",
        {"memberships": request.memberships, "next": _safe_next(request, "")},
    )


@require_POST
@signed_in_required
def tenant_switch(request):
    """Switch to another reseller the user belongs to. Anybody else's id is a 404."""
    raw = request.POST.get("reseller", "")
    chosen = next((m for m in request.memberships if str(m.reseller_id) == raw.strip()), None)
    if chosen is None:
        raise Http404(_("You are not a member of this reseller."))
    request.session[SESSION_KEY] = chosen.reseller_id
    messages.success(request, _("You are now working in %(name)s.") % {"name": chosen.reseller})
    return redirect(_safe_next(request, "resellers:dashboard"))


@tenant_role_required(Role.ADMIN)
def member_list(request):
    table = paginated(request, MembershipTable(membership_list(reseller=request.reseller)))
    return render(request, "accounts/member_list.html", {"table": table})
