from uuid import uuid4

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import customer_required, tenant_role_required
from accounts.models import Role
from core.errors import show_error
from core.phones import InvalidPhoneNumber
from core.ui import filtered, paginated
from customers import selectors, services
from customers.filters import CustomerFilter
from customers.forms import (
    PortalPasswordForm,
    PortalProfileForm,
    RechargeForm,
    recharge_key_sign,
)
from customers.models import Customer
from customers.tables import CustomerAccountTable, CustomerTable
from ledger.models import LedgerAccount, LedgerTransaction
from ledger.selectors import reseller_balance, reseller_recent_entries
from resellers import selectors as reseller_selectors
from resellers.tables import SubResellerAccountTable
from sms.selectors import message_list_for_customer

# --- Sales Panel ------------------------------------------------------------------------------

HISTORY_ROWS = 50
SALES_CREDIT = LedgerAccount.Kind.SALES_CREDIT


@tenant_role_required(Role.ADMIN, Role.ACCOUNTANT)
def account_list(request):
    """Manage accounts: direct sub-resellers and customers, each with its balance, and the
    latest credit transfers."""
    reseller = request.reseller
    currency = str(reseller.currency)
    children = paginated(
        request,
        SubResellerAccountTable(
            reseller_selectors.sub_reseller_accounts(reseller=reseller), prefix="sub-"
        ),
    )
    customers = paginated(
        request,
        CustomerAccountTable(
            selectors.customer_list(reseller=reseller), currency=currency, prefix="cust-"
        ),
    )
    if request.membership.role != Role.ADMIN:
        children.exclude = ("actions",)
    return render(
        request,
        "customers/account_list.html",
        {
            "children": children,
            "customers": customers,
            "sales_credit": reseller_balance(
                reseller=reseller, kind=LedgerAccount.Kind.SALES_CREDIT
            ),
            "history": reseller_recent_entries(
                reseller=reseller,
                kind=SALES_CREDIT,
                transaction_kind=LedgerTransaction.Kind.TRANSFER,
                limit=HISTORY_ROWS,
            ),
        },
    )


@tenant_role_required(Role.ADMIN, Role.USER)
def customer_list_view(request):
    filterset = CustomerFilter(
        request.GET, queryset=selectors.customer_list(reseller=request.reseller), request=request
    )
    table = paginated(
        request, CustomerTable(filtered(filterset), currency=str(request.reseller.currency))
    )
    return render(request, "customers/customer_list.html", {"table": table, "filter": filterset})


def _owned(request, pk: int) -> Customer:
    try:
        return selectors.customer_get(reseller=request.reseller, pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404(_("No such customer.")) from exc


@tenant_role_required(Role.ADMIN, Role.USER)
def customer_detail(request, pk: int):
    customer = _owned(request, pk)
    history = selectors.customer_history(reseller=request.reseller, customer=customer)
    sms_messages = message_list_for_customer(reseller=request.reseller, customer=customer)[:20]
    return render(
        request,
        "customers/customer_detail.html",
        {"customer": customer, "history": history, "sms_messages": sms_messages},
    )


@require_POST
@tenant_role_required(Role.ADMIN, Role.USER)
def customer_credentials_reset_view(request, pk: int):
    customer = _owned(request, pk)
    services.customer_credentials_reset(
        reseller=request.reseller, actor=request.user, customer_id=customer.pk
    )
    messages.success(
        request,
        _("New sign-in details are on their way to %(phone)s by SMS.") % {"phone": customer.phone},
    )
    return redirect("customers:customer-detail", pk=customer.pk)


@require_POST
@tenant_role_required(Role.ADMIN, Role.USER)
def customer_suspend_view(request, pk: int):
    customer = _owned(request, pk)
    try:
        services.customer_suspend(
            reseller=request.reseller, actor=request.user, customer_id=customer.pk
        )
    except services.CustomerStateError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("%(phone)s is suspended.") % {"phone": customer.phone})
    return redirect("customers:customer-detail", pk=customer.pk)


@require_POST
@tenant_role_required(Role.ADMIN, Role.USER)
def customer_reactivate_view(request, pk: int):
    customer = _owned(request, pk)
    try:
        services.customer_reactivate(
            reseller=request.reseller, actor=request.user, customer_id=customer.pk
        )
    except services.CustomerStateError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("%(phone)s is active again.") % {"phone": customer.phone})
    return redirect("customers:customer-detail", pk=customer.pk)


@tenant_role_required(Role.ADMIN, Role.USER)
def recharge(request):
    """Register / Recharge Customer: enter (number, amount) → confirm → result.

    The first step's form carries a signed idempotency key; every later step sends it back,
    so a double click or a resent form recharges once.
    """
    reseller = request.reseller
    amounts = selectors.recharge_amounts(reseller=reseller)
    step = request.POST.get("step") if request.method == "POST" else None
    if step is None:
        key = recharge_key_sign(uuid4().hex, reseller_id=reseller.pk, user_id=request.user.pk)
        initial = {"phone": request.GET.get("phone", ""), "key": key}
        form = RechargeForm(initial=initial, reseller=reseller, user=request.user, amounts=amounts)
        return _recharge_form(request, form)
    form = RechargeForm(request.POST, reseller=reseller, user=request.user, amounts=amounts)
    if step == "edit" or not form.is_valid():
        return _recharge_form(request, form, status=200 if step == "edit" else 400)
    phone, amount = form.cleaned_data["phone"], form.cleaned_data["amount"]
    if step == "review":
        preview = selectors.recharge_preview(reseller=reseller, phone=phone, amount=amount)
        if preview["refusal"]:
            form.add_error(None, preview["refusal"])
            return _recharge_form(request, form, status=400)
        return render(
            request, "customers/recharge_confirm.html", {"form": form, "preview": preview}
        )
    try:
        result = services.customer_recharge(
            reseller=reseller,
            actor=request.user,
            phone=phone,
            amount=amount,
            idempotency_key=form.idempotency_key,
        )
    except (services.RechargeError, InvalidPhoneNumber) as exc:
        show_error(request, exc, form)
        return _recharge_form(request, form, status=400)
    return render(request, "customers/recharge_done.html", {"result": result})


def _recharge_form(request, form, status: int = 200):
    return render(request, "customers/recharge_form.html", {"form": form}, status=status)


# --- Customer portal --------------------------------------------------------------------------


@customer_required
def portal(request):
    customer = request.customer
    return render(
        request,
        "customers/portal.html",
        {
            "customer": customer,
            "balance": selectors.portal_balance(customer=customer),
            "history": selectors.portal_history(customer=customer, limit=20),
        },
    )


@customer_required
def portal_password(request):
    customer = request.customer
    form = PortalPasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.customer_password_change(
            customer=customer, new_password=form.cleaned_data["new_password1"]
        )
        request.user.refresh_from_db()
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password is changed."))
        return redirect("customers:portal")
    return render(
        request,
        "customers/portal_password.html",
        {"form": form, "forced": customer.password_change_required},
        status=400 if form.is_bound and form.errors else 200,
    )


@customer_required
def portal_profile(request):
    customer = request.customer
    initial = {"name": customer.name, "language": customer.language}
    form = PortalProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.customer_profile_update(
            customer=customer,
            language=form.cleaned_data["language"],
            name=form.cleaned_data["name"],
        )
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Your profile is saved."))
        response = redirect("customers:portal-profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"])
        return response
    return render(
        request,
        "customers/portal_profile.html",
        {"form": form, "customer": customer},
        status=400 if form.is_bound else 200,
    )
