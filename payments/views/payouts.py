"""Commission payouts: the reseller's page (Admin asks, Accountant reads) and operator staff's
(approve or reject, export the SEPA file, confirm it paid)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, tenant_role_required
from accounts.models import Role
from core.errors import show_error
from core.money import money_display
from core.ui import filtered, paginated
from payments import selectors
from payments.bank.sepa import CURRENCY
from payments.errors import PayoutError
from payments.filters import StaffPayoutFilter
from payments.forms import PayoutRejectForm, PayoutRequestForm
from payments.models import Payout, PayoutBatch
from payments.services.payouts import (
    payout_approve,
    payout_batch_confirm,
    payout_minimum,
    payout_reject,
    payout_request,
    payouts_export,
)
from payments.tables import PayoutBatchTable, PayoutTable, StaffPayoutTable

SEES = (Role.ADMIN, Role.ACCOUNTANT)


# --- The reseller ----------------------------------------------------------------------------


def _payouts_page(request, form=None, status=200):
    reseller = request.reseller
    currency = str(reseller.currency)
    available = selectors.payout_available(reseller=reseller)
    minimum = payout_minimum()
    euro = currency == CURRENCY
    may_request = request.membership.role == Role.ADMIN and euro and not reseller.is_blocked
    if may_request and form is None and available >= minimum:
        form = PayoutRequestForm(currency=currency, minimum=minimum, available=available)
    table = paginated(request, PayoutTable(selectors.payout_list(reseller=reseller)))
    return render(
        request,
        "payments/payout_list.html",
        {
            "table": table,
            "form": form if may_request else None,
            "available": available,
            "minimum": minimum,
            "currency": currency,
            "euro": euro,
            "not_euro": None if euro else PayoutError.message_for("not-euro", currency=currency),
        },
        status=status,
    )


@tenant_role_required(*SEES)
def payout_list(request):
    return _payouts_page(request)


@tenant_role_required(Role.ADMIN)
def payout_request_view(request):
    """The request form (posted from the payouts page); a GET shows that page."""
    if request.method != "POST":
        return _payouts_page(request)
    reseller = request.reseller
    currency = str(reseller.currency)
    if currency != CURRENCY:
        messages.error(request, PayoutError.message_for("not-euro", currency=currency))
        return _payouts_page(request, status=400)
    # The same form sent again after it was accepted (a double click, a reload): the amount
    # is no longer available, but the payout it made is the answer.
    done = selectors.payout_for_form(reseller=reseller, form_key=request.POST.get("form_key", ""))
    if done is not None:
        return redirect("payments:payout-detail", pk=done.pk)
    form = PayoutRequestForm(
        request.POST,
        currency=currency,
        minimum=payout_minimum(),
        available=selectors.payout_available(reseller=reseller),
    )
    if not form.is_valid():
        return _payouts_page(request, form, status=400)
    data = form.cleaned_data
    try:
        payout = payout_request(
            reseller=reseller,
            actor=request.user,
            amount=data["amount"],
            iban=data["iban"],
            bic=data["bic"],
            holder=data["holder"],
            form_key=str(data["form_key"]),
        )
    except PayoutError as exc:
        show_error(request, exc, form)
        return _payouts_page(request, form, status=400)
    messages.success(
        request,
        _(
            "Payout %(reference)s of %(amount)s requested: the amount has left your "
            "commission credit."
        )
        % {"reference": payout.reference, "amount": money_display(payout.amount, payout.currency)},
    )
    return redirect("payments:payout-detail", pk=payout.pk)


@tenant_role_required(*SEES)
def payout_detail(request, pk: int):
    try:
        payout = selectors.payout_get(reseller=request.reseller, pk=pk)
    except Payout.DoesNotExist:
        raise Http404 from None
    return render(request, "payments/payout_detail.html", {"payout": payout})


# --- Operator staff --------------------------------------------------------------------------


def _staff_payout(pk: int) -> Payout:
    try:
        return selectors.staff_payout_get(pk=pk)
    except Payout.DoesNotExist:
        raise Http404 from None


@operator_staff_required
def staff_payout_list(request):
    filterset = StaffPayoutFilter(request.GET, queryset=selectors.staff_payout_list())
    table = paginated(request, StaffPayoutTable(filtered(filterset)))
    return render(
        request,
        "payments/staff_payout_list.html",
        {"table": table, "filter": filterset, "ready": selectors.staff_payouts_ready()},
    )


def _staff_detail(request, payout: Payout, reject_form=None, status=200):
    decidable = payout.status in Payout.DECIDABLE
    return render(
        request,
        "payments/staff_payout_detail.html",
        {
            "payout": payout,
            "can_approve": payout.status == Payout.Status.REQUESTED,
            "reject_form": (reject_form or PayoutRejectForm()) if decidable else None,
        },
        status=status,
    )


@operator_staff_required
def staff_payout_detail(request, pk: int):
    return _staff_detail(request, _staff_payout(pk))


@require_POST
@operator_staff_required
def staff_payout_approve(request, pk: int):
    payout = _staff_payout(pk)
    try:
        payout_approve(payout_id=payout.pk, actor=request.user)
        messages.success(
            request,
            _("Payout %(reference)s approved: it goes into the next SEPA file.")
            % {"reference": payout.reference},
        )
    except PayoutError as exc:
        show_error(request, exc)
    if request.POST.get("back") == "list":
        return redirect("payments:staff-payout-list")
    return redirect("payments:staff-payout-detail", pk=payout.pk)


@require_POST
@operator_staff_required
def staff_payout_reject(request, pk: int):
    payout = _staff_payout(pk)
    form = PayoutRejectForm(request.POST)
    if not form.is_valid():
        return _staff_detail(request, payout, form, status=400)
    try:
        payout_reject(payout_id=payout.pk, actor=request.user, reason=form.cleaned_data["reason"])
    except PayoutError as exc:
        show_error(request, exc, form)
        return _staff_detail(request, _staff_payout(pk), form, status=400)
    messages.success(
        request,
        _("Payout %(reference)s rejected: %(amount)s is back in the reseller's commission credit.")
        % {"reference": payout.reference, "amount": money_display(payout.amount, payout.currency)},
    )
    return redirect("payments:staff-payout-detail", pk=payout.pk)


@require_POST
@operator_staff_required
def staff_payouts_export(request):
    try:
        batch = payouts_export(actor=request.user)
    except PayoutError as exc:
        show_error(request, exc)
        return redirect("payments:staff-payout-list")
    messages.success(
        request,
        _("SEPA file with %(count)s transfers of %(amount)s in total exported.")
        % {"count": batch.count, "amount": money_display(batch.control_sum, batch.currency)},
    )
    return redirect("payments:staff-payout-batch-detail", pk=batch.pk)


@operator_staff_required
def staff_payout_batch_list(request):
    table = paginated(request, PayoutBatchTable(selectors.staff_payout_batches()))
    return render(request, "payments/staff_payout_batch_list.html", {"table": table})


def _batch(pk: int) -> PayoutBatch:
    try:
        return selectors.staff_payout_batch_get(pk=pk)
    except PayoutBatch.DoesNotExist:
        raise Http404 from None


@operator_staff_required
def staff_payout_batch_detail(request, pk: int):
    batch = _batch(pk)
    return render(
        request,
        "payments/staff_payout_batch_detail.html",
        {"batch": batch, "payouts": selectors.staff_payout_batch_payouts(batch=batch)},
    )


@operator_staff_required
def staff_payout_batch_download(request, pk: int):
    try:
        batch = selectors.staff_payout_batch_file(pk=pk)
    except PayoutBatch.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(bytes(batch.content), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
    return response


@require_POST
@operator_staff_required
def staff_payout_batch_confirm(request, pk: int):
    batch = _batch(pk)
    batch = payout_batch_confirm(batch_id=batch.pk, actor=request.user)
    messages.success(
        request,
        _("SEPA file confirmed: its %(count)s payouts are paid.") % {"count": batch.count},
    )
    return redirect("payments:staff-payout-batch-detail", pk=batch.pk)
