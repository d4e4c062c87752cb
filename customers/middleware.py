"""An end customer whose password was generated must choose their own before anything else."""

from __future__ import annotations

from django.shortcuts import redirect

# What a customer may still open before the change.
_ALLOWED = frozenset({"portal-password", "account_logout", "set_language", "healthz"})


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        customer = getattr(request, "customer", None)
        if customer is None or not customer.password_change_required:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in _ALLOWED:
            return None
        return redirect("customers:portal-password")
