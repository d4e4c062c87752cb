"""The payments domain's errors: what a person paying, or staff refunding, can act on."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import CodedError


class PaymentError(CodedError):
    code = "payment"
    message = _("This payment cannot be made.")
    messages = {
        "method-unavailable": _("This payment method is not available."),
        "amount-below-minimum": _("The least you can add is %(minimum)s."),
        "amount-above-maximum": _("The most you can add at once is %(maximum)s."),
        "amount-invalid": _("Enter an amount with at most two decimals."),
        "wrong-currency": _(
            "Your account is kept in %(expected)s; a payment in %(given)s cannot be accepted."
        ),
        "reseller-blocked": _("This account is suspended and cannot add funds."),
        "sub-reseller": _(
            "Your sales credit comes from %(parent)s, the reseller you sell for: ask them to "
            "transfer credit to you."
        ),
        "not-open": _("This top-up is no longer waiting for payment."),
        "provider-unavailable": _(
            "The payment provider could not be reached. Nothing was charged; please try again "
            "in a few minutes."
        ),
        "provider-refused": _("The payment provider refused the payment: %(detail)s"),
    }
    fields = {
        "amount-below-minimum": "amount",
        "amount-above-maximum": "amount",
        "amount-invalid": "amount",
        "wrong-currency": "currency",
        "method-unavailable": "method",
    }


class RefundError(CodedError):
    code = "refund"
    message = _("This refund cannot be made.")
    messages = {
        "not-refundable": _("Only a paid card or PayPal top-up can be refunded here."),
        "amount-invalid": _("Enter an amount above zero with at most two decimals."),
        "more-than-paid": _("At most %(refundable)s of this top-up can still be refunded."),
        "credit-spent": _(
            "The reseller's credit no longer covers this refund: %(needed)s would be taken "
            "back, but only %(available)s is still available."
        ),
        "provider-refused": _("The payment provider refused the refund: %(detail)s"),
        "provider-unavailable": _(
            "The payment provider could not be reached. The refund was not made and the "
            "credit is back with the reseller; try again later."
        ),
        "not-flagged": _("This refund does not need attention."),
    }
    fields = {"amount-invalid": "amount", "more-than-paid": "amount", "credit-spent": "amount"}


class StatementLineError(CodedError):
    code = "statement-line"
    message = _("This statement line cannot be assigned.")
    messages = {
        "resolved": _("This line was already dealt with."),
        "topup-unknown": _("No open bank-transfer top-up has this reference."),
        "topup-paid": _("That top-up is already paid."),
        "wrong-currency": _(
            "The line is in %(line_currency)s but the top-up in %(topup_currency)s; it "
            "cannot pay it."
        ),
        "not-a-credit": _("Only money received can pay a top-up."),
    }
    fields = {
        "topup-unknown": "reference",
        "topup-paid": "reference",
        "wrong-currency": "reference",
    }


class CustomerTopUpError(CodedError):
    """An end customer topping up their own balance in the portal."""

    code = "customer-top-up"
    message = _("This top-up cannot be made.")
    messages = {
        "amount-not-offered": _("Choose one of the amounts offered: %(amounts)s."),
        "provider-unavailable": _("This way of paying is not available."),
        "customer-inactive": _("Your account is not active; ask your provider."),
    }
    fields = {"amount-not-offered": "amount", "provider-unavailable": "provider"}
