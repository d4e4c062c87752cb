"""The tenant of a request.

`TenantMiddleware` sets, for every request:
- `request.memberships`: the signed-in user's active memberships (one query);
- `request.membership` / `request.reseller`: the membership in use and its reseller, or None
  when the user belongs to none or has several and has not chosen yet;
- `request.customer`: the end customer the user signs in as, or None.

The reseller in use is kept in the session and switched with `tenant_switch`. Users of a
suspended or rejected reseller see a page saying so, and nothing else but sign-out and the
tenant switch. Users of a reseller that applied and is not approved yet see their application
page (the views declared `tenant_role_required(..., applicants=True)`); every other Sales Panel
page is refused with a page that says why, and navigation does not offer it.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from accounts.models import Membership
from accounts.selectors import membership_list_for_user
from customers.selectors import customer_for_user

SESSION_KEY = "tessera.reseller_id"

# Views a blocked reseller's users may still reach.
_UNBLOCKED_URL_NAMES = frozenset(
    {"account_logout", "tenant-choose", "tenant-switch", "healthz", "set_language"}
)


def choose_membership(memberships: list[Membership], chosen_id: int | None) -> Membership | None:
    """The membership in use: the chosen one if still valid, else the only one, else none."""
    for membership in memberships:
        if membership.reseller_id == chosen_id:
            return membership
    if len(memberships) == 1:
        return memberships[0]
    return None


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        request.membership = None
        request.reseller = None
        request.customer = None
        user = request.user
        if user.is_authenticated:
            request.memberships = list(membership_list_for_user(user=user))
            chosen = request.session.get(SESSION_KEY)
            membership = choose_membership(request.memberships, chosen)
            if chosen is not None and (membership is None or membership.reseller_id != chosen):
                request.session.pop(SESSION_KEY, None)
            request.membership = membership
            request.reseller = membership.reseller if membership else None
            if not request.memberships and not user.is_staff:
                request.customer = customer_for_user(user=user)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        reseller = request.reseller
        if reseller is not None and reseller.is_pending_approval:
            return self._pending(request, view_func)
        if reseller is None or not reseller.is_blocked:
            return None
        match = request.resolver_match
        if match and match.url_name in _UNBLOCKED_URL_NAMES:
            return None
        context = {
            "blocked": reseller,
            "operator_support_email": settings.OPERATOR["support_email"],
        }
        return render(request, "resellers/reseller_blocked.html", context, status=403)

    def _pending(self, request, view_func):
        """An applicant sees its application; every other Sales Panel page is refused."""
        access = getattr(view_func, "access", None)
        if access is None or access.kind != "tenant" or access.applicants:
            return None
        return render(
            request, "resellers/reseller_pending.html", {"pending": request.reseller}, status=403
        )
