"""The customer portal's top-up (signed-in end customers only): choose an amount, pay the
reseller's own PayPal account (PayPal Payments Standard: a plain form posted to PayPal), and
follow the payment until it is on the balance.

Nothing here credits anything: PayPal's IPN to the reseller's notify_url, verified by postback,
does (payments:paypal-ipn). The status page polls (htmx) until the payment is final.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import customer_required
from core.errors import show_error
from core.net import portal_url
from customers.selectors import portal_balance
from payments import selectors
from payments.errors import CustomerTopUpError
from payments.forms import CustomerTopUpForm
from payments.gateways.base import GatewayError
from payments.gateways.registry import checkout_origin
from payments.models import CustomerPayment, PaymentEvent
from payments.services.customer_card import OPEN, customer_card_refresh
from payments.services.customer_checkout import (
    customer_payment_open,
    customer_topup_amounts,
    customer_topup_methods,
    paypal_standard_fields,
)

Status = CustomerPayment.Status
Provider = CustomerPayment.Provider
# Still moving: the status page polls while the payment is in one of these.
NOT_FINAL = (Status.CREATED, Status.PENDING, Status.PAID, Status.NEEDS_FUNDS)
POLL_SECONDS = 2


def topup_form(request, data=None) -> CustomerTopUpForm:
    customer = request.customer
    return CustomerTopUpForm(
        data,
        amounts=customer_topup_amounts(customer=customer),
        currency=str(customer.reseller.currency),
    )


def topup_page(request, form, status: int = 200):
    customer = request.customer
    methods = customer_topup_methods(customer=customer)
    page = render(
        request,
        "payments/customer_topup.html",
        {
            "customer": customer,
            "form": form,
            "paypal_available": Provider.PAYPAL in methods,
            "card_available": Provider.STRIPE in methods,
            "balance": portal_balance(customer=customer),
        },
        status=status,
    )
    return allow_stripe(page) if Provider.STRIPE in methods else page


def allow_stripe(response):
    """ "Pay by card" leads to Stripe's checkout: CSP `form-action` applies to the redirect
    after the POST too."""
    origin = checkout_origin("stripe")
    if origin:
        response._csp_update = {"form-action": [origin]}
    return response


@customer_required
def customer_topup(request):
    """Choose an amount; "Top up with PayPal" opens the payment and goes to its PayPal page."""
    if request.method != "POST":
        return topup_page(request, topup_form(request))
    form = topup_form(request, request.POST)
    if not form.is_valid():
        return topup_page(request, form, status=400)
    try:
        payment = customer_payment_open(
            customer=request.customer,
            amount=form.cleaned_data["amount"],
            provider=Provider.PAYPAL,
            form_key=str(form.cleaned_data["form_key"]),
        )
    except CustomerTopUpError as exc:
        show_error(request, exc, form)
        return topup_page(request, form, status=400)
    if payment.provider != Provider.PAYPAL or payment.status != Status.CREATED:
        return redirect("payments:customer-topup-status", reference=payment.reference)
    return redirect("payments:customer-topup-paypal", reference=payment.reference)


def _payment(request, reference: str) -> CustomerPayment:
    customer = request.customer
    try:
        return selectors.customer_own_payment_get(
            reseller=customer.reseller, customer=customer, reference=reference
        )
    except CustomerPayment.DoesNotExist:
        raise Http404 from None


def _here(request, path: str) -> str:
    """An absolute link back to the portal on the host the customer uses (the reseller's own
    hostname keeps the session)."""
    if request.host_reseller is not None:
        return portal_url(path, hostname=request.get_host())
    return portal_url(path)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@customer_required
def customer_topup_paypal(request, reference: str):
    """The summary and "Continue to PayPal": a plain form posting to PayPal's page."""
    payment = _payment(request, reference)
    if payment.provider != Provider.PAYPAL or payment.status != Status.CREATED:
        return redirect("payments:customer-topup-status", reference=payment.reference)
    paypal = selectors.reseller_paypal_enabled(reseller=payment.reseller)
    if paypal is None:
        messages.error(request, CustomerTopUpError.message_for("provider-unavailable"))
        return redirect("payments:customer-topup")
    fields = paypal_standard_fields(
        payment=payment,
        paypal=paypal,
        return_url=_here(request, reverse("payments:customer-topup-status", args=[reference])),
        cancel_url=_here(request, reverse("payments:customer-topup")),
    )
    page = render(
        request,
        "payments/customer_topup_paypal.html",
        {
            "payment": payment,
            "paypal_url": settings.PAYPAL_STANDARD_URL,
            "fields": fields,
        },
    )
    # The form leaves the portal for PayPal: CSP form-action must allow PayPal's origin.
    page._csp_update = {"form-action": [_origin(settings.PAYPAL_STANDARD_URL)]}
    return page


def card_return(request, payment: CustomerPayment) -> CustomerPayment:
    """Back from Stripe: ask Stripe for the session's state first (the webhook may be late);
    cancelled, say nothing was charged."""
    if request.GET.get("cancelled") and payment.status in OPEN:
        messages.warning(request, _("The payment was not completed. Nothing was charged."))
    elif payment.status in OPEN and payment.checkout_id and not request.GET.get("poll"):
        try:
            payment = customer_card_refresh(payment=payment, source=PaymentEvent.Source.RETURN)
        except GatewayError:
            messages.info(
                request,
                _(
                    "The payment provider has not confirmed the payment yet; your balance is "
                    "topped up as soon as it does."
                ),
            )
    return payment


def status_text(payment: CustomerPayment) -> str:
    """The payment's state in the customer's words."""
    provider = payment.get_provider_display()
    if payment.status in (Status.CREATED, Status.PENDING):
        return _("Waiting for %(provider)s to confirm your payment.") % {"provider": provider}
    if payment.status == Status.PAID:
        return _("Payment confirmed; your balance is being credited.")
    if payment.status == Status.NEEDS_FUNDS:
        return _(
            "Payment confirmed; waiting for your provider to credit it. This can take a while."
        )
    if payment.status == Status.CREDITED:
        return _("Credited to your balance.")
    if payment.status == Status.REVERSED:
        return _("This payment was reversed; nothing is credited for it.")
    if payment.status == Status.FLAGGED:
        return _("Your provider is checking this payment.")
    return _("This payment was not completed.")


@customer_required
def customer_topup_status(request, reference: str):
    """Where PayPal and Stripe send the customer back: the payment's state, polled until
    final."""
    payment = _payment(request, reference)
    if payment.provider == Provider.STRIPE:
        payment = card_return(request, payment)
    moving = payment.status in NOT_FINAL
    context = {
        "payment": payment,
        "customer": request.customer,
        "status_text": status_text(payment),
        "credited": payment.status == Status.CREDITED,
        "balance": portal_balance(customer=request.customer),
        "moving": moving,
        "poll_url": reverse("payments:customer-topup-status", args=[reference]) + "?poll=1",
        "poll_seconds": POLL_SECONDS,
        "can_pay": payment.provider == Provider.PAYPAL and payment.status == Status.CREATED,
    }
    if request.htmx and request.GET.get("poll"):
        return render(request, "payments/_customer_topup_status.html", context)
    return render(request, "payments/customer_topup_status.html", context)
