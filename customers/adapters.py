"""Who may sign in on a reseller's own hostname, and where their account e-mails link to.

A reseller's active hostname (resellers.middleware.ResellerHostMiddleware sets
`request.host_reseller`) is that reseller's portal: its team and its end customers sign in
there. Anybody else (another reseller's people, operator staff, people with no reseller) is
sent to the portal's canonical origin to sign in, and nobody signs up there. Account e-mails
link to the reseller's hostname only for the people who belong to it; every other link is on
settings.PORTAL_ORIGIN (accounts.adapters).
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse

from accounts.adapters import AccountAdapter
from core.net import portal_url
from customers.selectors import person_belongs_to
from resellers.branding import reseller_display_name

# The sign-in page on the canonical origin says why the person was sent there.
SENT_FROM_RESELLER_HOST = "elsewhere"


def main_sign_in_url() -> str:
    """The sign-in page on the canonical origin, saying why the person was sent there."""
    return portal_url(reverse("account_login")) + f"?{SENT_FROM_RESELLER_HOST}=1"


def sign_in_elsewhere(request):
    """The answer to a person who may not sign in on this reseller's hostname: a page with a
    link to the canonical sign-in page. Not a redirect: after a form's POST, the browser
    refuses a redirect to another origin (CSP form-action 'self')."""
    return render(
        request, "account/sign_in_elsewhere.html", {"main_sign_in": main_sign_in_url()}, status=403
    )


class PortalAccountAdapter(AccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        if getattr(request, "host_reseller", None) is not None:
            return False
        return super().is_open_for_signup(request)

    def pre_login(self, request, user, **kwargs):
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        host = getattr(request, "host_reseller", None)
        if host is not None and not person_belongs_to(user=user, reseller=host):
            return sign_in_elsewhere(request)
        return None

    def mail_origin(self, request, user) -> tuple[str, str]:
        host = getattr(request, "host_reseller", None) if request is not None else None
        if host is not None and user is not None and person_belongs_to(user=user, reseller=host):
            # The request's host was checked to be this reseller's active hostname.
            return f"{request.scheme}://{request.get_host()}", reseller_display_name(reseller=host)
        return super().mail_origin(request, user)
