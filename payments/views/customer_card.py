"""The customer's card top-up (payments.services.customer_card): the portal's "Pay by card".

`/my/top-up/card/` shows the amounts and, on POST, opens the payment and sends the customer
to Stripe Checkout (303). Stripe sends the customer back to the payment's status page
`/my/top-up/<reference>/`, which asks Stripe for the session's state first, so the credit
shows even when the webhook is late. Staff see the card payments that need a person at
`/staff/payments/customer-cards/`.
"""

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import customer_required, operator_staff_required
from core.errors import show_error
from core.money import money_display
from core.net import portal_url
from core.ui import paginated
from customers.selectors import recharge_amounts
from payments import selectors
from payments.forms import FORM_INCOMPLETE
from payments.gateways.base import GatewayError
from payments.gateways.registry import checkout_origin
from payments.models import CustomerPayment, PaymentEvent
from payments.services.customer_card import (
    OPEN,
    CustomerCardError,
    customer_card_available,
    customer_card_open,
    customer_card_refresh,
    customer_card_start,
)
from payments.tables import StaffCustomerCardTable

Status = CustomerPayment.Status


def _plain(amount) -> str:
    """20.0000 → "20", 7.5000 → "7.5": the amount as the form sends it."""
    return format(amount.normalize(), "f")


class CustomerCardForm(forms.Form):
    """One of the amounts the reseller sells, and the form's one-time key."""

    amount = forms.TypedChoiceField(label=gettext_lazy("Amount"), widget=forms.RadioSelect)
    form_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, reseller, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        initial.setdefault("form_key", uuid.uuid4())
        super().__init__(data, initial=initial, **kwargs)
        currency = str(reseller.currency)
        amounts = recharge_amounts(reseller=reseller)
        field = self.fields["amount"]
        field.choices = [(_plain(a), money_display(a, currency)) for a in amounts]
        if amounts:
            initial.setdefault("amount", _plain(amounts[0]))
        self.fields["form_key"].error_messages["required"] = FORM_INCOMPLETE
        self.fields["form_key"].error_messages["invalid"] = FORM_INCOMPLETE


def _allow_stripe(response):
    """The form leads to Stripe's checkout: CSP `form-action` applies to the redirect after
    the POST too."""
    origin = checkout_origin("stripe")
    if origin:
        response._csp_update = {"form-action": [origin]}
    return response


def _page(request, form, status: int = 200):
    customer = request.customer
    page = render(
        request,
        "payments/customer_card_form.html",
        {
            "form": form,
            "customer": customer,
            "card_available": customer_card_available(reseller=customer.reseller),
        },
        status=status,
    )
    return _allow_stripe(page)


@customer_required
def customer_topup_card(request):
    customer = request.customer
    if request.method != "POST":
        return _page(request, CustomerCardForm(reseller=customer.reseller))
    form = CustomerCardForm(request.POST, reseller=customer.reseller)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        payment = customer_card_open(
            customer=customer,
            amount=form.cleaned_data["amount"],
            form_key=str(form.cleaned_data["form_key"]),
        )
        if payment.status not in OPEN:
            return redirect("payments:customer-topup-status", reference=payment.reference)
        back = portal_url(reverse("payments:customer-topup-status", args=[payment.reference]))
        payment = customer_card_start(
            payment=payment, success_url=back, cancel_url=f"{back}?cancelled=1"
        )
    except CustomerCardError as exc:
        show_error(request, exc, form)
        return _page(request, form, status=400)
    return _see_other(payment)


def _see_other(payment: CustomerPayment):
    response = redirect(payment.checkout_url)
    response.status_code = 303
    return response


@customer_required
def customer_topup_status(request, reference: str):
    """The payment's page; back from Stripe, it asks Stripe first (the webhook may be late)."""
    customer = request.customer
    try:
        payment = selectors.customer_card_payment_get(
            reseller=customer.reseller, customer=customer, reference=reference
        )
    except CustomerPayment.DoesNotExist:
        raise Http404 from None
    if request.GET.get("cancelled") and payment.status in OPEN:
        messages.warning(request, _("The payment was not completed. Nothing was charged."))
    elif payment.status in OPEN and payment.checkout_id:
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
    page = render(
        request,
        "payments/customer_card_status.html",
        {
            "payment": payment,
            "customer": customer,
            "can_pay": bool(payment.checkout_url) and payment.status in OPEN,
        },
    )
    return _allow_stripe(page)


@operator_staff_required
def staff_customer_card_list(request):
    table = paginated(request, StaffCustomerCardTable(selectors.staff_customer_card_attention()))
    return render(request, "payments/staff_customer_card_list.html", {"table": table})
