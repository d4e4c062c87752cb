"""The reseller of a request: the host it arrived on, and what the reseller's status allows.

`ResellerHostMiddleware` (the first middleware) accepts the operator's hosts and active
reseller hostnames and refuses every other host (resellers.hosts says how hosts are checked).


Users of a suspended or rejected reseller see a page saying so, and nothing else but sign-out
and the tenant switch. Users of a reseller that applied and is not approved yet see their
application page (the views declared `tenant_role_required(..., applicants=True)`); every other
Sales Panel page is refused with a page that says why, and navigation does not offer it.
Runs after `accounts.tenancy.TenantMiddleware`, which sets `request.reseller`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port
from django.shortcuts import render

from resellers.hosts import is_operator_host, operator_hosts
from resellers.selectors import active_hostname_for_host

# Views a blocked reseller's users may still reach.
_UNBLOCKED_URL_NAMES = frozenset(
    {"account_logout", "tenant-choose", "tenant-switch", "healthz", "set_language"}
)


class ResellerStatusMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
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


class ResellerHostMiddleware:
    """Accept the operator's hosts and active reseller hostnames; refuse every other host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.host_reseller = None
        request.host_branding = None
        raw_host = request._get_raw_host()
        domain, _port = split_domain_port(raw_host)
        if domain and is_operator_host(domain):
            return self.get_response(request)
        hostname = active_hostname_for_host(host=domain) if domain else None
        if hostname is None:
            if domain and "*" in operator_hosts():
                return self.get_response(request)
            raise DisallowedHost(
                f"Invalid HTTP_HOST header: {raw_host!r}. It is neither in ALLOWED_HOSTS nor "
                "an active reseller hostname."
            )
        request.host_reseller = hostname.reseller
        request.host_branding = getattr(hostname.reseller, "branding", None)
        # Django's HttpRequest.get_host() checks ALLOWED_HOSTS only; this host was checked above.
        request.get_host = lambda: raw_host
        return self.get_response(request)
