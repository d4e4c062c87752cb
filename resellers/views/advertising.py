"""Advertising material: resellers ask (Admin and User), operator staff work through it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, tenant_role_required
from accounts.models import Role
from core.errors import show_error
from core.ui import filtered, paginated
from resellers import selectors
from resellers.filters import (
    StaffAdvertisingRequestFilter,
)
from resellers.forms import (
    AdvertisingRequestForm,
    AdvertisingStatusForm,
)
from resellers.models import AdvertisingRequest
from resellers.services import advertising
from resellers.tables import (
    AdvertisingRequestTable,
    StaffAdvertisingRequestTable,
)
from resellers.views.branding import _add_errors

# --- Sales Panel (the tenant) -----------------------------------------------------------------


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
                created = advertising.advertising_request_create(
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
        updated = advertising.advertising_request_set_status(
            request_id=item.pk,
            actor=request.user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except advertising.AdvertisingStateError as exc:
        show_error(request, exc)
    else:
        messages.success(
            request,
            _("Request #%(id)s is now “%(status)s”.")
            % {"id": updated.pk, "status": updated.get_status_display()},
        )
    return redirect("resellers:staff-advertising-detail", pk=item.pk)
