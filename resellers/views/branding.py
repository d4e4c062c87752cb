"""Branding and the reseller's own hostname (reseller Admin)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import tenant_role_required
from accounts.models import Role
from core.errors import show_error
from resellers import branding as brand
from resellers import selectors
from resellers.forms import (
    BrandingForm,
    HostnameForm,
)
from resellers.services import branding as branding_service
from resellers.services import hostnames

# --- Sales Panel (the tenant) -----------------------------------------------------------------


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@tenant_role_required(Role.ADMIN)
def branding(request):
    reseller = request.reseller
    current = selectors.branding_for(reseller=reseller)
    initial = {
        "display_name": current.display_name if current else "",
        "header_colour": current.header_colour if current else brand.DEFAULT_COLOURS["header"],
        "background_colour": (
            current.background_colour if current else brand.DEFAULT_COLOURS["background"]
        ),
        "text_colour": current.text_colour if current else brand.DEFAULT_COLOURS["text"],
    }
    form = BrandingForm(initial=initial)
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = branding_service.branding_update(
                    reseller=reseller,
                    actor=request.user,
                    display_name=data["display_name"],
                    header_colour=data["header_colour"],
                    background_colour=data["background_colour"],
                    text_colour=data["text_colour"],
                    logo=data["logo"],
                    remove_logo=data["remove_logo"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                if result.changed:
                    messages.success(request, _("Your branding is saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("resellers:branding")
    hostname = selectors.hostname_for(reseller=reseller)
    theme = brand.theme_for(reseller=reseller, branding=current)
    contrast = brand.contrast_ratio(initial["background_colour"], initial["text_colour"])
    return render(
        request,
        "resellers/branding.html",
        {
            "form": form,
            "current": current,
            "theme": theme,
            # Of the saved colours: the theme draws a readable text colour in place of a pair
            # saved before contrast was enforced, and the page says so.
            "contrast": contrast,
            "contrast_ok": contrast >= brand.MIN_CONTRAST,
            "hostname": hostname,
            "hostname_form": HostnameForm(),
            "portal_ips": settings.PORTAL_PUBLIC_IPS,
            "fee": hostnames.hostname_fee(reseller=reseller),
            "sales_credit": selectors.reseller_sales_credit(reseller=reseller)
            if hostname and hostname.status != hostname.Status.ACTIVE
            else None,
            "currency": reseller.currency,
        },
    )


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_request(request):
    form = HostnameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a host name, e.g. portal.example.com."))
        return redirect("resellers:branding")
    try:
        record = hostnames.hostname_request(
            reseller=request.reseller, actor=request.user, hostname=form.cleaned_data["hostname"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except hostnames.HostnameError as exc:
        show_error(request, exc)
    else:
        messages.success(
            request,
            _("Now create the A record for %(name)s, then check its DNS.")
            % {"name": record.hostname},
        )
    return redirect("resellers:branding")


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_check(request):
    try:
        check = hostnames.hostname_check_dns(reseller=request.reseller, actor=request.user)
    except hostnames.HostnameError as exc:
        show_error(request, exc)
    else:
        (messages.success if check.ok else messages.error)(request, check.message)
    return redirect("resellers:branding")


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_activate(request):
    try:
        record = hostnames.hostname_activate(reseller=request.reseller, actor=request.user)
    except hostnames.HostnameError as exc:
        show_error(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s is active: your customers can sign in there.") % {"name": record.hostname},
        )
    return redirect("resellers:branding")


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_remove(request):
    try:
        hostnames.hostname_remove(reseller=request.reseller, actor=request.user)
    except hostnames.HostnameError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("The host name is removed."))
    return redirect("resellers:branding")
