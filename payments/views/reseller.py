"""The reseller's pages: Add funds (Admin) and Payments (Admin and Accountant).

Add funds is two steps that work without JavaScript: the amount and method, then a review
of net, VAT and gross; confirming opens the top-up and sends the payer to the provider (a
bank transfer shows its proforma). Applicants may pay too: what they pay is held as pending
and moves to sales credit in full on approval.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import tenant_role_required
from accounts.models import Role
from core.errors import show_error
from core.money import money_display
from core.net import portal_url
from core.ui import paginated
from payments import selectors
from payments.bank.reference import rf_format
from payments.errors import PaymentError
from payments.forms import AddFundsForm, offered_amounts
from payments.gateways.base import GatewayError
from payments.gateways.registry import available_methods, checkout_origin
from payments.models import Method, PaymentEvent, TopUp
from payments.services.documents import bank_details, proforma_pdf_for
from payments.services.topups import (
    topup_create,
    topup_limits,
    topup_quote,
    topup_refresh,
    topup_start,
)
from payments.tables import TopUpTable

SEES = (Role.ADMIN, Role.ACCOUNTANT)


def _topup(request, pk: int) -> TopUp:
    try:
        return selectors.topup_get(reseller=request.reseller, pk=pk)
    except TopUp.DoesNotExist:
        raise Http404 from None


def _form(request, data=None):
    currency = str(request.reseller.currency)
    minimum, _maximum = topup_limits(currency=currency)
    return AddFundsForm(data, currency=currency, methods=available_methods(), minimum=minimum)


def _add_page(request, form, status=200):
    reseller = request.reseller
    currency = str(reseller.currency)
    treatment = reseller.vat_treatment
    return render(
        request,
        "payments/add_funds.html",
        {
            "form": form,
            "currency": currency,
            "amounts": offered_amounts(currency),
            "treatment": treatment,
            "pending_approval": reseller.is_pending_approval,
            "parent": reseller.parent if not reseller.is_direct else None,
        },
        status=status,
    )


@tenant_role_required(Role.ADMIN, applicants=True)
def add_funds(request):
    if request.method != "POST":
        initial = {}
        if request.GET.get("amount"):
            initial["amount"] = request.GET["amount"]
        form = _form(request)
        form.initial.update(initial)
        return _add_page(request, form)
    form = _form(request, request.POST)
    if request.POST.get("step") == "edit":
        return _add_page(request, form)
    if not form.is_valid():
        return _add_page(request, form, status=400)
    data = form.cleaned_data
    try:
        if data["currency"].upper() != str(request.reseller.currency):
            raise PaymentError(
                "wrong-currency", expected=str(request.reseller.currency), given=data["currency"]
            )
        quote = topup_quote(reseller=request.reseller, net=data["amount"])
        if request.POST.get("step") != "pay":
            page = render(
                request,
                "payments/add_funds_review.html",
                {"form": form, "quote": quote, "method": Method(data["method"])},
            )
            return allow_checkout(page, data["method"])
        topup = topup_create(
            reseller=request.reseller,
            actor=request.user,
            net=data["amount"],
            method=data["method"],
            form_key=str(data["form_key"]),
            currency=data["currency"],
        )
        return _go_pay(request, topup)
    except PaymentError as exc:
        show_error(request, exc, form)
        return _add_page(request, form, status=400)


def _go_pay(request, topup: TopUp):
    if topup.method == Method.BANK:
        messages.success(
            request,
            _("Your top-up is open. Transfer %(amount)s with the reference %(reference)s.")
            % {
                "amount": money_display(topup.gross, topup.currency),
                "reference": rf_format(topup.reference),
            },
        )
        return redirect("payments:topup-detail", pk=topup.pk)
    if not topup.is_open:
        return redirect("payments:topup-detail", pk=topup.pk)
    back = reverse("payments:topup-return", args=[topup.pk])
    cancel = reverse("payments:topup-cancel", args=[topup.pk])
    topup = topup_start(
        topup=topup,
        success_url=portal_url(back)
        + ("?session_id={CHECKOUT_SESSION_ID}" if topup.method == Method.STRIPE else ""),
        cancel_url=portal_url(cancel),
    )
    return redirect(topup.checkout_url)


@require_POST
@tenant_role_required(Role.ADMIN, applicants=True)
def topup_pay(request, pk: int):
    """Go (back) to the provider's checkout for an open top-up; one the provider has closed
    meanwhile (paid, expired) is settled instead of sending the payer to a dead page."""
    topup = _topup(request, pk)
    try:
        if topup.checkout_url and topup.is_open:
            topup = topup_refresh(topup=topup, source=PaymentEvent.Source.RETURN).topup
        if not topup.is_open:
            if topup.status == TopUp.Status.EXPIRED:
                messages.warning(
                    request, _("This payment expired at the provider. Start a new top-up.")
                )
            return redirect("payments:topup-detail", pk=topup.pk)
        return _go_pay(request, topup)
    except GatewayError:
        messages.error(request, PaymentError.message_for("provider-unavailable"))
        return redirect("payments:topup-detail", pk=topup.pk)
    except PaymentError as exc:
        show_error(request, exc)
        return redirect("payments:topup-detail", pk=topup.pk)


@tenant_role_required(Role.ADMIN, applicants=True)
def topup_return(request, pk: int):
    """The payer is back from the provider: ask it (PayPal: capture) and settle through the
    same fulfilment the webhook uses; whichever comes first credits, the other finds it done."""
    topup = _topup(request, pk)
    if topup.is_open:
        try:
            topup = topup_refresh(topup=topup, source=PaymentEvent.Source.RETURN).topup
        except GatewayError:
            messages.info(
                request,
                _(
                    "The provider has not confirmed the payment yet; it is credited as soon "
                    "as it does."
                ),
            )
            return redirect("payments:topup-detail", pk=topup.pk)
    if topup.status == TopUp.Status.PAID:
        messages.success(
            request,
            _("Payment received: %(amount)s added.")
            % {"amount": money_display(topup.net, topup.currency)},
        )
    elif topup.status == TopUp.Status.PENDING:
        messages.info(request, _("The payment is on its way; it is credited when it arrives."))
    return redirect("payments:topup-detail", pk=topup.pk)


@tenant_role_required(Role.ADMIN, applicants=True)
def topup_cancel(request, pk: int):
    topup = _topup(request, pk)
    messages.warning(request, _("The payment was not completed. Nothing was charged."))
    return redirect("payments:topup-detail", pk=topup.pk)


@tenant_role_required(*SEES, applicants=True)
def topup_list(request):
    table = paginated(request, TopUpTable(selectors.topup_list(reseller=request.reseller)))
    return render(request, "payments/topup_list.html", {"table": table})


def allow_checkout(response, method: str):
    """Let the page's form lead to the provider's checkout: CSP `form-action` applies to the
    redirect after the POST too."""
    origin = checkout_origin(method)
    if origin:
        response._csp_update = {"form-action": [origin]}
    return response


@tenant_role_required(*SEES, applicants=True)
def topup_detail(request, pk: int):
    topup = _topup(request, pk)
    page = render(
        request,
        "payments/topup_detail.html",
        {
            "topup": topup,
            "bank": bank_details(topup) if topup.method == Method.BANK else None,
            "can_pay": request.membership.role == Role.ADMIN and topup.is_open,
            "refunds": topup.refunds.exclude(status="failed"),
            "invoices": selectors.topup_invoices(topup=topup),
        },
    )
    return allow_checkout(page, topup.method)


@tenant_role_required(*SEES, applicants=True)
def topup_proforma(request, pk: int):
    topup = _topup(request, pk)
    if topup.method != Method.BANK:
        raise Http404
    response = HttpResponse(proforma_pdf_for(topup), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="proforma-{topup.reference}.pdf"'
    return response


@tenant_role_required(Role.ADMIN, applicants=True)
def quote(request):
    """htmx: the net, VAT and gross of the amount being typed (no JS: the review step)."""
    try:
        result = topup_quote(reseller=request.reseller, net=request.GET.get("amount", ""))
        error = ""
    except PaymentError as exc:
        result, error = None, str(exc)
    return render(request, "payments/_quote.html", {"quote": result, "error": error})
