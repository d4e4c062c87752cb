"""The tenant of a request.

`TenantMiddleware` sets, for every request:
- `request.memberships`: the signed-in user's active memberships (one query);
- `request.membership` / `request.reseller`: the membership in use and its reseller, or None
  when the user belongs to none or has several and has not chosen yet.

The reseller in use is kept in the session and switched with `tenant_switch`. What a reseller's
status allows (suspended, not approved yet) is `resellers.middleware`'s; the end customer a
user signs in as is `customers.middleware`'s.
"""

from __future__ import annotations

from accounts.models import Membership
from accounts.selectors import membership_list_for_user

SESSION_KEY = "tessera.reseller_id"


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
        user = request.user
        if user.is_authenticated:
            request.memberships = list(membership_list_for_user(user=user))
            chosen = request.session.get(SESSION_KEY)
            membership = choose_membership(request.memberships, chosen)
            if chosen is not None and (membership is None or membership.reseller_id != chosen):
                request.session.pop(SESSION_KEY, None)
            request.membership = membership
            request.reseller = membership.reseller if membership else None
        return self.get_response(request)
