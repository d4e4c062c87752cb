"""The customer's card top-up (payments.services.customer_card): the portal's "Pay by card".

The top-up page's "Pay by card" posts the amount and the form's one-time key to
`/my/top-up/card/`, which opens the payment and sends the customer to Stripe Checkout (303).
Stripe sends the customer back to the payment's status page (payments.views.customer), which
asks Stripe for the session's state first, so the credit shows even when the webhook is late.
Staff see the card payments that need a person at `/staff/payments/customer-cards/`.
"""

from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import customer_required, operator_staff_required
from core.errors import show_error
from core.net import portal_url
from core.ui import paginated
from payments import selectors
from payments.errors import CustomerTopUpError
from payments.models import CustomerPayment
from payments.services.customer_card import (
    OPEN,
    CustomerCardError,
    customer_card_open,
    customer_card_start,
)
from payments.tables import StaffCustomerCardTable
from payments.views.customer import allow_stripe, topup_form, topup_page

Status = CustomerPayment.Status


@customer_required
def customer_topup_card(request):
    """ "Pay by card" on the top-up page (the same amount and one-time key): opens the card
    payment and sends the customer to Stripe Checkout (303)."""
    customer = request.customer
    if request.method != "POST":
        return redirect("payments:customer-topup")
    form = topup_form(request, request.POST)
    if not form.is_valid():
        return allow_stripe(topup_page(request, form, status=400))
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
    except (CustomerCardError, CustomerTopUpError) as exc:
        show_error(request, exc, form)
        return allow_stripe(topup_page(request, form, status=400))
    response = redirect(payment.checkout_url)
    response.status_code = 303
    return response


@operator_staff_required
def staff_customer_card_list(request):
    table = paginated(request, StaffCustomerCardTable(selectors.staff_customer_card_attention()))
    return render(request, "payments/staff_customer_card_list.html", {"table": table})
