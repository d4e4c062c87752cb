"""Who may open a view: the one way views declare it.

Every view of ours is wrapped by exactly one of these decorators. Each records what it allows
on the wrapper as `view.access`, which navigation reads to show a person only what they may
open; the role-matrix test checks the same rules from the outside.

- `tenant_role_required(*roles, applicants=False)`: a signed-in member of the current reseller
  with one of roles; while the reseller has applied and is not approved yet, only the views
  declared with `applicants=True` (its application) are open to it;
- `operator_staff_required`: operator staff who have enrolled MFA;
- `customer_required`: a signed-in end customer;
- `signed_in_required`: any signed-in user (tenant choice, profile);
- `public`: anyone (health check, public pages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role


@dataclass(frozen=True)
class Access:
    kind: str  # "tenant" | "staff" | "customer" | "signed_in" | "public"
    roles: frozenset[str] = field(default_factory=frozenset)
    # Tenant views only: open to a reseller that applied and is not approved yet.
    applicants: bool = False

    def allows(self, request) -> bool:
        """Whether the request's user may open the view (without side effects)."""
        user = request.user
        if self.kind == "public":
            return True
        if not user.is_authenticated:
            return False
        if self.kind == "signed_in":
            return True
        if self.kind == "staff":
            return user.is_staff and user.is_active
        if self.kind == "customer":
            return getattr(request, "customer", None) is not None
        membership = getattr(request, "membership", None)
        if membership is None or membership.role not in self.roles:
            return False
        return self.applicants or not membership.reseller.is_pending_approval


def _declare(view: Callable, access: Access) -> Callable:
    view.access = access
    return view


def tenant_role_required(*roles: Role, applicants: bool = False) -> Callable:
    """Allow members of the current reseller whose role is one of `roles`; `applicants`: also
    while the reseller is not approved yet (resellers.middleware refuses the other views then)."""
    if not roles:
        raise ValueError("Name at least one role.")
    access = Access("tenant", frozenset(str(r) for r in roles), applicants=applicants)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                if request.memberships:
                    query = urlencode({"next": request.get_full_path()})
                    return redirect(f"{reverse('accounts:tenant-choose')}?{query}")
                raise PermissionDenied(_("You are not a member of any reseller."))
            if request.membership.role not in access.roles:
                raise PermissionDenied(_("Your role does not allow this page."))
            return view(request, *args, **kwargs)

        return _declare(wrapper, access)

    return decorator


def operator_staff_required(view: Callable) -> Callable:
    """Allow operator staff; staff who have not enrolled MFA are sent to enrol first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_staff and user.is_active):
            raise PermissionDenied(_("This page is for operator staff."))
        if not is_mfa_enabled(user):
            messages.warning(
                request,
                _("Operator staff must set up two-factor authentication before going on."),
            )
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return _declare(wrapper, Access("staff"))


def customer_required(view: Callable) -> Callable:
    """Allow a signed-in end customer (a user linked to a Customer)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.customer is None:
            raise PermissionDenied(_("This page is for customers."))
        return view(request, *args, **kwargs)

    return _declare(wrapper, Access("customer"))


def signed_in_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return _declare(wrapper, Access("signed_in"))


def public(view: Callable) -> Callable:
    return _declare(view, Access("public"))
