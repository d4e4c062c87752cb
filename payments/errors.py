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


class PayoutError(CodedError):
    code = "payout"
    message = _("This payout cannot be made.")
    messages = {
        "not-euro": _(
            "Payouts are made by SEPA credit transfer, in euros only; your account is kept in "
            "%(currency)s. Contact us to be paid another way."
        ),
        "reseller-blocked": _("This account is suspended and cannot request payouts."),
        "amount-invalid": _("Enter an amount above zero with at most two decimals."),
        "amount-below-minimum": _("The least you can pay out is %(minimum)s."),
        "amount-above-credit": _(
            "You can pay out at most %(available)s: that is your commission credit."
        ),
        "holder-missing": _("Enter the name of the account holder."),
        "holder-too-long": _("The account holder's name can have at most %(limit)s characters."),
        "iban-invalid": _("This is not a valid IBAN: check it against your bank statement."),
        "iban-not-sepa": _(
            "IBANs of %(country)s cannot receive SEPA credit transfers; enter an account in "
            "the SEPA area."
        ),
        "bic-invalid": _("This is not a valid BIC (8 or 11 letters and digits)."),
        "bic-wrong-country": _(
            "This BIC belongs to a bank in %(bic_country)s, the IBAN to an account in "
            "%(iban_country)s: check both."
        ),
        "not-requested": _("This payout was already decided."),
        "not-decidable": _("Only a payout not yet exported can be rejected."),
        "reason-missing": _("Give a reason for the rejection: the reseller reads it."),
        "already-reversed": _("The payout's posting was already reversed in the ledger."),
        "nothing-to-export": _("No approved payout waits for a transfer."),
        "file-invalid": _("The SEPA file did not pass its schema check: %(detail)s"),
    }
    fields = {
        "amount-invalid": "amount",
        "amount-below-minimum": "amount",
        "amount-above-credit": "amount",
        "holder-missing": "holder",
        "holder-too-long": "holder",
        "iban-invalid": "iban",
        "iban-not-sepa": "iban",
        "bic-invalid": "bic",
        "bic-wrong-country": "bic",
        "reason-missing": "reason",
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
