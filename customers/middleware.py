"""What the person of a request is to the portal: the end customer they are
(`CustomerMiddleware`), the language their pages are in (`LanguageMiddleware`), whether they may
stay signed in on a reseller's own hostname (`ResellerHostSignInMiddleware`), and the password
change a generated password requires."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation

from customers.adapters import main_sign_in_url, sign_in_elsewhere
from customers.selectors import customer_for_user

# What a customer may still open before the change.
_ALLOWED = frozenset({"portal-password", "account_logout", "set_language", "healthz"})


class CustomerMiddleware:
    """`request.customer`: the end customer the signed-in user is, or None. A user with a
    membership or staff rights is never a customer. Runs after `TenantMiddleware`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.customer = None
        user = request.user
        if user.is_authenticated and not request.memberships and not user.is_staff:
            request.customer = customer_for_user(user=user)
        return self.get_response(request)


class ResellerHostSignInMiddleware:
    """On a reseller's own hostname only its team and its end customers stay signed in
    (customers.adapters refuses anybody else at sign-in; this catches a membership ended
    since, or a session that got there otherwise): anybody else is signed out there and sent
    to the portal's canonical origin. Runs after `CustomerMiddleware`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _signed_in_elsewhere(request):
            logout(request)
            if request.method in ("GET", "HEAD"):
                return HttpResponseRedirect(main_sign_in_url())
            return sign_in_elsewhere(request)  # no cross-origin redirect after a form's POST
        return self.get_response(request)


def _signed_in_elsewhere(request) -> bool:
    host = request.host_reseller
    if host is None or not request.user.is_authenticated:
        return False
    if request.user.is_staff:
        return True
    if any(m.reseller_id == host.pk for m in request.memberships):
        return False
    return request.customer is None or request.customer.reseller_id != host.pk


class PasswordChangeRequiredMiddleware:
    """An end customer whose password was generated must choose their own first."""

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


class LanguageMiddleware(LocaleMiddleware):
    """The language of a page, in this order: the signed-in person's own setting (theirs, or
    an end customer's); the one chosen in the switcher (the cookie); on a reseller's own
    hostname, that reseller's language; the browser's Accept-Language; English. Replaces
    Django's LocaleMiddleware and runs after `CustomerMiddleware`, which knows the person, and
    before the middleware that may answer a request themselves."""

    def process_request(self, request):
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def language_for(request) -> str:
    supported = dict(settings.LANGUAGES)
    user = request.user
    customer = getattr(request, "customer", None)
    host = getattr(request, "host_reseller", None)
    candidates = (
        user.language if user.is_authenticated else "",
        customer.language if customer is not None else "",
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
        host.language if host is not None else "",
    )
    for candidate in candidates:
        if candidate in supported:
            return candidate
    return translation.get_language_from_request(request)
