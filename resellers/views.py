from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, tenant_role_required
from accounts.models import Role
from config.ui import filtered, paginated
from resellers import branding as brand
from resellers import selectors, services
from resellers.filters import AuditEventFilter, StaffAdvertisingRequestFilter, StaffResellerFilter
from resellers.forms import (
    AdvertisingRequestForm,
    AdvertisingStatusForm,
    BrandingForm,
    HostnameForm,
    SuspendForm,
)
from resellers.models import AdvertisingRequest
from resellers.tables import (
    AdvertisingRequestTable,
    AuditEventTable,
    StaffAdvertisingRequestTable,
    StaffResellerTable,
    SubResellerTable,
)

# --- Sales Panel (the tenant) -----------------------------------------------------------------


@tenant_role_required(Role.ADMIN, Role.USER, Role.ACCOUNTANT)
def dashboard(request):
    reseller = request.reseller
    return render(
        request,
        "resellers/dashboard.html",
        {"counts": selectors.reseller_dashboard_counts(reseller=reseller)},
    )


@tenant_role_required(Role.ADMIN)
def subreseller_list(request):
    table = paginated(
        request, SubResellerTable(selectors.sub_reseller_list(reseller=request.reseller))
    )
    return render(request, "resellers/subreseller_list.html", {"table": table})


@tenant_role_required(Role.ADMIN)
def subreseller_detail(request, pk: int):
    child = get_object_or_404(selectors.sub_reseller_list(reseller=request.reseller), pk=pk)
    return render(
        request,
        "resellers/subreseller_detail.html",
        {"child": child, "counts": selectors.reseller_dashboard_counts(reseller=child)},
    )


# --- Operator staff ---------------------------------------------------------------------------


@operator_staff_required
def staff_dashboard(request):
    return render(
        request,
        "resellers/staff_dashboard.html",
        {
            "status_counts": selectors.staff_reseller_status_counts(),
            "recent_events": selectors.staff_audit_event_list()[:10],
        },
    )


@operator_staff_required
def staff_reseller_list(request):
    filterset = StaffResellerFilter(request.GET, queryset=selectors.staff_reseller_list())
    table = paginated(request, StaffResellerTable(filtered(filterset)))
    return render(
        request, "resellers/staff_reseller_list.html", {"table": table, "filter": filterset}
    )


@operator_staff_required
def staff_reseller_detail(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    events = AuditEventTable(selectors.audit_event_list(reseller=reseller)[:20], orderable=False)
    return render(
        request,
        "resellers/staff_reseller_detail.html",
        {
            "reseller": reseller,
            "events": events,
            "suspend_form": SuspendForm(),
            "children": selectors.sub_reseller_list(reseller=reseller),
        },
    )


_STATE_ERRORS = {
    "already-suspended": gettext_lazy("This reseller is already suspended."),
    "not-approved": gettext_lazy("Only an approved reseller can be suspended."),
    "not-suspended": gettext_lazy("This reseller is not suspended."),
}


@require_POST
@operator_staff_required
def staff_reseller_suspend(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the suspension."))
        return redirect("resellers:staff-reseller-detail", pk=reseller.pk)
    try:
        services.reseller_suspend(
            reseller_id=reseller.pk, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.ResellerStateError as exc:
        messages.error(request, _STATE_ERRORS[str(exc)])
    else:
        messages.success(request, _("%(name)s is suspended.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@require_POST
@operator_staff_required
def staff_reseller_reactivate(request, pk: int):
    reseller = get_object_or_404(selectors.staff_reseller_list(), pk=pk)
    try:
        services.reseller_reactivate(reseller_id=reseller.pk, actor=request.user)
    except services.ResellerStateError as exc:
        messages.error(request, _STATE_ERRORS[str(exc)])
    else:
        messages.success(request, _("%(name)s is active again.") % {"name": reseller.name})
    return redirect("resellers:staff-reseller-detail", pk=reseller.pk)


@operator_staff_required
def staff_audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=selectors.staff_audit_event_list())
    table = paginated(request, AuditEventTable(filtered(filterset)))
    return render(request, "resellers/staff_audit_list.html", {"table": table, "filter": filterset})


# --- Branding and own hostname (reseller Admin) -----------------------------------------------


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
                result = services.branding_update(
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
                for warning in result.warnings:
                    messages.warning(request, warning)
                if result.changed:
                    messages.success(request, _("Your branding is saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("resellers:branding")
    hostname = selectors.hostname_for(reseller=reseller)
    theme = brand.theme_for(reseller=reseller, branding=current)
    return render(
        request,
        "resellers/branding.html",
        {
            "form": form,
            "current": current,
            "theme": theme,
            "contrast": brand.contrast_ratio(theme.background, theme.text),
            "contrast_ok": brand.contrast_ratio(theme.background, theme.text) >= brand.MIN_CONTRAST,
            "hostname": hostname,
            "hostname_form": HostnameForm(),
            "portal_ips": settings.PORTAL_PUBLIC_IPS,
            "fee": services.hostname_fee(reseller=reseller),
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
        record = services.hostname_request(
            reseller=request.reseller, actor=request.user, hostname=form.cleaned_data["hostname"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except services.HostnameError as exc:
        messages.error(request, str(exc))
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
        check = services.hostname_check_dns(reseller=request.reseller, actor=request.user)
    except services.HostnameError as exc:
        messages.error(request, str(exc))
    else:
        (messages.success if check.ok else messages.error)(request, check.message)
    return redirect("resellers:branding")


@require_POST
@tenant_role_required(Role.ADMIN)
def hostname_activate(request):
    try:
        record = services.hostname_activate(reseller=request.reseller, actor=request.user)
    except services.HostnameError as exc:
        messages.error(request, str(exc))
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
        services.hostname_remove(reseller=request.reseller, actor=request.user)
    except services.HostnameError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The host name is removed."))
    return redirect("resellers:branding")


# --- Advertising material (reseller Admin and User; operator staff) ----------------------------


def _history_rows(events) -> list[dict]:
    """Audit rows of a request as lines people read: when, what, the operator's note."""
    rows = []
    for event in events:
        if event.action == "advertising.requested":
            label = _("Requested")
        else:
            label = AdvertisingRequest.Status(event.data.get("to")).label
        rows.append({"at": event.at, "label": label, "note": event.data.get("note", "")})
    return rows


@tenant_role_required(Role.ADMIN, Role.USER)
def advertising_list(request):
    table = paginated(
        request,
        AdvertisingRequestTable(selectors.advertising_request_list(reseller=request.reseller)),
    )
    return render(request, "resellers/advertising_list.html", {"table": table})


@tenant_role_required(Role.ADMIN, Role.USER)
def advertising_create(request):
    reseller = request.reseller
    form = AdvertisingRequestForm(
        initial={
            "kind": AdvertisingRequest.Kind.LEAFLET,
            "recipient": reseller.legal_name,
            "address_line": reseller.address_line,
            "postal_code": reseller.postal_code,
            "city": reseller.city,
            "country": reseller.country,
        }
    )
    if request.method == "POST":
        form = AdvertisingRequestForm(request.POST)
        if form.is_valid():
            try:
                created = services.advertising_request_create(
                    reseller=reseller, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Request #%(id)s is sent. We will tell you here when it ships.")
                    % {"id": created.pk},
                )
                return redirect("resellers:advertising-detail", pk=created.pk)
    return render(request, "resellers/advertising_form.html", {"form": form})


@tenant_role_required(Role.ADMIN, Role.USER)
def advertising_detail(request, pk: int):
    reseller = request.reseller
    item = get_object_or_404(selectors.advertising_request_list(reseller=reseller), pk=pk)
    history = _history_rows(
        selectors.advertising_request_history(reseller=reseller, advertising_request=item)
    )
    return render(request, "resellers/advertising_detail.html", {"item": item, "history": history})


@operator_staff_required
def staff_advertising_list(request):
    filterset = StaffAdvertisingRequestFilter(
        request.GET, queryset=selectors.staff_advertising_request_list()
    )
    table = paginated(request, StaffAdvertisingRequestTable(filtered(filterset)))
    return render(
        request, "resellers/staff_advertising_list.html", {"table": table, "filter": filterset}
    )


@operator_staff_required
def staff_advertising_detail(request, pk: int):
    item = get_object_or_404(selectors.staff_advertising_request_list(), pk=pk)
    history = _history_rows(
        selectors.advertising_request_history(reseller=item.reseller, advertising_request=item)
    )
    return render(
        request,
        "resellers/staff_advertising_detail.html",
        {
            "item": item,
            "history": history,
            "form": AdvertisingStatusForm(advertising_request=item),
        },
    )


@require_POST
@operator_staff_required
def staff_advertising_status(request, pk: int):
    item = get_object_or_404(selectors.staff_advertising_request_list(), pk=pk)
    form = AdvertisingStatusForm(request.POST, advertising_request=item)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("resellers:staff-advertising-detail", pk=item.pk)
    try:
        updated = services.advertising_request_set_status(
            request_id=item.pk,
            actor=request.user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except services.AdvertisingStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Request #%(id)s is now “%(status)s”.")
            % {"id": updated.pk, "status": updated.get_status_display()},
        )
    return redirect("resellers:staff-advertising-detail", pk=item.pk)
