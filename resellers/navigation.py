"""The navigation each person sees: built from what each view declares it allows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Promise
    icon: str


SECTIONS: list[tuple[Promise, list[NavItem]]] = [
    (
        _("Operator"),
        [
            NavItem("resellers:staff-dashboard", _("Overview"), "speedometer2"),
            NavItem("resellers:staff-reseller-list", _("Resellers"), "buildings"),
            NavItem("ledger:staff-transaction-list", _("Ledger"), "journal-check"),
            NavItem("payments:staff-topup-list", _("Payments"), "credit-card"),
            NavItem("payments:staff-payout-list", _("Payouts"), "bank"),
            NavItem("payments:staff-customer-payment-list", _("Customer payments"), "people"),
            NavItem("billing:staff-invoice-list", _("Invoices"), "receipt"),
            NavItem("resellers:staff-audit-list", _("Audit log"), "journal-text"),
            NavItem("resellers:staff-application-list", _("Applications"), "inbox"),
            NavItem("resellers:staff-terms-list", _("Reseller terms"), "file-earmark-text"),
            NavItem("resellers:staff-advertising-list", _("Advertising material"), "megaphone"),
        ],
    ),
    (
        _("Sales Panel"),
        [
            NavItem("resellers:dashboard", _("Dashboard"), "house"),
            NavItem("customers:customer-list", _("Customers"), "people"),
            NavItem("customers:recharge", _("Register / Recharge"), "phone"),
            NavItem("resellers:subreseller-list", _("Sub-resellers"), "diagram-3"),
            NavItem("accounts:member-list", _("Users"), "person-gear"),
            NavItem("resellers:application", _("Company"), "building-check"),
            NavItem("customers:account-list", _("Manage accounts"), "wallet2"),
            NavItem("resellers:branding", _("Branding"), "palette"),
            NavItem("resellers:advertising-list", _("Advertising material"), "megaphone"),
            NavItem("payments:add-funds", _("Add funds"), "plus-circle"),
            NavItem("payments:topup-list", _("Payments"), "credit-card"),
            NavItem("payments:customer-payment-list", _("Customer payments"), "people"),
            NavItem("payments:paypal-settings", _("PayPal for customers"), "paypal"),
            NavItem("billing:invoice-list", _("Invoices"), "receipt"),
            NavItem("ledger:cashbook", _("Cashbook"), "journal-text"),
            NavItem("ledger:commission-transfer", _("Transfer commission"), "arrow-left-right"),
            NavItem("payments:payout-list", _("Payouts"), "bank"),
        ],
    ),
    # The SMS inbox: operator staff only (it holds every tenant's messages).
    (_("Messages"), [NavItem("sms:inbox", _("SMS inbox"), "chat-left-text")]),
    (
        _("My account"),
        [
            NavItem("customers:portal", _("Overview"), "wallet2"),
            NavItem("customers:portal-profile", _("Profile"), "person"),
        ],
    ),
]


@cache
def _url_and_access(url_name: str):
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None, None
    return url, getattr(resolve(url).func, "access", None)


def build_navigation(request) -> list[dict]:
    sections = []
    path = request.path
    for title, items in SECTIONS:
        visible = []
        for item in items:
            url, access = _url_and_access(item.url_name)
            if url is None or access is None or not access.allows(request):
                continue
            active = path == url or (url.count("/") > 2 and path.startswith(url))
            visible.append({"url": url, "label": item.label, "icon": item.icon, "active": active})
        if visible:
            sections.append({"title": title, "items": visible})
    return sections


def navigation(request) -> dict:
    """Context processor: `nav_sections` for the base layout (built when a template first
    reads it: a partial response, see `layout`, has no sidebar and never builds it), and
    `layout`, the template a page extends."""
    layout = "partial.html" if is_partial(request) else "base.html"
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_sections": [], "layout": layout}
    return {"nav_sections": SimpleLazyObject(lambda: build_navigation(request)), "layout": layout}


def is_partial(request) -> bool:
    """Whether the request is htmx swapping the page's <main> (hx-target="#main"): the answer
    is the page's content without the layout around it (templates/partial.html). Without
    JavaScript the same forms post normally and get the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == "main"
