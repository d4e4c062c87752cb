"""Customers' own payments (issue 15): the reseller's PayPal account, its customers' payments and
the PayPal IPNs received for it (Admin and Accountant; only the Admin changes anything), the
same for operator staff over every reseller, and the IPN endpoint PayPal posts to."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.access import operator_staff_required, public, tenant_role_required
from accounts.models import Role
from core.money import money_display
from core.net import portal_url
from core.ui import filtered, paginated
from payments import selectors
from payments.filters import (
    CustomerPaymentFilter,
    PaypalIpnFilter,
    StaffCustomerPaymentFilter,
    StaffPaypalIpnFilter,
)
from payments.forms import ResellerPaypalForm
from payments.gateways.paypal_ipn import IpnMalformed, ipn_parse
from payments.models import CustomerPayment, PaypalIpn
from payments.services.customer_payments import customer_payments_fund
from payments.services.paypal_ipn import paypal_ipn_receive, reseller_paypal_set
from payments.tables import (
    CustomerPaymentTable,
    PaypalIpnTable,
    StaffCustomerPaymentTable,
    StaffPaypalIpnTable,
)

SEES = (Role.ADMIN, Role.ACCOUNTANT)


# --- PayPal's IPN endpoint --------------------------------------------------------------------


@csrf_exempt
@require_POST
@public
def paypal_ipn(request, token: str):
    """PayPal's IPN for the reseller the token names: kept, answered at once (empty 200), and
    verified and applied in a task."""
    received = paypal_ipn_receive(token=token, body=request.body)
    if received.status == 404:
        raise Http404
    return HttpResponse(b"", status=received.status, content_type="text/plain")


# --- The reseller's pages ---------------------------------------------------------------------


def _ipn_address(account) -> str:
    if account is None:
        return ""
    return portal_url(reverse("payments:paypal-ipn", args=[account.notify_token]))


@tenant_role_required(*SEES)
def paypal_settings(request):
    account = selectors.reseller_paypal_get(reseller=request.reseller)
    can_edit = request.membership.role == Role.ADMIN
    initial = {}
    if account is not None:
        initial = {
            "receiver_email": account.receiver_email,
            "merchant_id": account.merchant_id,
            "enabled": account.enabled,
        }
    form = ResellerPaypalForm(initial=initial)
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only an Admin can change the PayPal account."))
        form = ResellerPaypalForm(request.POST)
        if form.is_valid():
            reseller_paypal_set(reseller=request.reseller, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Your PayPal account was saved."))
            return redirect("payments:paypal-settings")
        status = 400
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "payments/paypal_settings.html",
        {
            "form": form,
            "account": account,
            "can_edit": can_edit,
            "ipn_address": _ipn_address(account),
        },
        status=status,
    )


@tenant_role_required(*SEES)
def customer_payment_list(request):
    filterset = CustomerPaymentFilter(
        request.GET, queryset=selectors.customer_payment_list(reseller=request.reseller)
    )
    table = paginated(request, CustomerPaymentTable(filtered(filterset)))
    waiting = selectors.customer_payments_waiting(reseller=request.reseller)
    return render(
        request,
        "payments/customer_payment_list.html",
        {
            "table": table,
            "filter": filterset,
            "waiting": waiting,
            "waiting_total": money_display(waiting.total, str(request.reseller.currency)),
            "can_fund": request.membership.role == Role.ADMIN,
        },
    )


@require_POST
@tenant_role_required(Role.ADMIN)
def customer_payments_fund_now(request):
    credited = customer_payments_fund(reseller_id=request.reseller.pk)
    waiting = selectors.customer_payments_waiting(reseller=request.reseller)
    if credited:
        messages.success(
            request,
            ngettext(
                "%(count)s waiting payment was credited to your customer.",
                "%(count)s waiting payments were credited to your customers.",
                credited,
            )
            % {"count": credited},
        )
    if waiting.count:
        messages.warning(
            request,
            ngettext(
                "Your sales credit is short: %(count)s payment still waits. Add funds and it "
                "is credited at once.",
                "Your sales credit is short: %(count)s payments still wait. Add funds and they "
                "are credited at once.",
                waiting.count,
            )
            % {"count": waiting.count},
        )
    elif not credited:
        messages.info(request, _("No payment is waiting for sales credit."))
    return redirect("payments:customer-payment-list")


@tenant_role_required(*SEES)
def customer_payment_detail(request, pk: int):
    try:
        payment = selectors.customer_payment_get(reseller=request.reseller, pk=pk)
    except CustomerPayment.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "payments/customer_payment_detail.html",
        {
            "payment": payment,
            "ipns": selectors.customer_payment_ipns(payment=payment),
            "ipn_url": "payments:paypal-ipn-detail",
            "list_url": "payments:customer-payment-list",
        },
    )


@tenant_role_required(*SEES)
def paypal_ipn_list(request):
    filterset = PaypalIpnFilter(
        request.GET, queryset=selectors.paypal_ipn_list(reseller=request.reseller)
    )
    table = paginated(request, PaypalIpnTable(filtered(filterset)))
    return render(
        request,
        "payments/paypal_ipn_list.html",
        {"table": table, "filter": filterset, "staff": False},
    )


@tenant_role_required(*SEES)
def paypal_ipn_detail(request, pk: int):
    try:
        ipn = selectors.paypal_ipn_get(reseller=request.reseller, pk=pk)
    except PaypalIpn.DoesNotExist:
        raise Http404 from None
    return render(request, "payments/paypal_ipn_detail.html", _ipn_context(ipn, staff=False))


def _ipn_context(ipn: PaypalIpn, *, staff: bool) -> dict:
    """The IPN and its fields as PayPal sent them (the raw text when it is unreadable)."""
    body = bytes(ipn.body)
    try:
        fields = sorted(ipn_parse(body).fields.items())
    except IpnMalformed:
        fields = []
    return {
        "ipn": ipn,
        "staff": staff,
        "fields": fields,
        "raw": "" if fields else body.decode("latin-1")[:20000],
        "list_url": "payments:staff-paypal-ipn-list" if staff else "payments:paypal-ipn-list",
        "payment_url": (
            "payments:staff-customer-payment-detail"
            if staff
            else "payments:customer-payment-detail"
        ),
    }


# --- Operator staff ---------------------------------------------------------------------------


@operator_staff_required
def staff_customer_payment_list(request):
    filterset = StaffCustomerPaymentFilter(
        request.GET, queryset=selectors.staff_customer_payment_list()
    )
    table = paginated(request, StaffCustomerPaymentTable(filtered(filterset)))
    return render(
        request,
        "payments/staff_customer_payment_list.html",
        {"table": table, "filter": filterset},
    )


@operator_staff_required
def staff_customer_payment_detail(request, pk: int):
    try:
        payment = selectors.staff_customer_payment_get(pk=pk)
    except CustomerPayment.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "payments/customer_payment_detail.html",
        {
            "payment": payment,
            "ipns": selectors.customer_payment_ipns(payment=payment),
            "ipn_url": "payments:staff-paypal-ipn-detail",
            "list_url": "payments:staff-customer-payment-list",
            "staff": True,
        },
    )


@operator_staff_required
def staff_paypal_ipn_list(request):
    filterset = StaffPaypalIpnFilter(request.GET, queryset=selectors.staff_paypal_ipn_list())
    table = paginated(request, StaffPaypalIpnTable(filtered(filterset)))
    return render(
        request,
        "payments/paypal_ipn_list.html",
        {"table": table, "filter": filterset, "staff": True},
    )


@operator_staff_required
def staff_paypal_ipn_detail(request, pk: int):
    try:
        ipn = selectors.staff_paypal_ipn_get(pk=pk)
    except PaypalIpn.DoesNotExist:
        raise Http404 from None
    return render(request, "payments/paypal_ipn_detail.html", _ipn_context(ipn, staff=True))
