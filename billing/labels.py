"""How an invoice's coded fields read for a person (pages and the export's journal)."""

from django.utils.translation import gettext_lazy as _

# The payment methods an invoice records (payments.models.Method, named the same way; billing
# may not import payments).
PAYMENT_METHODS = {"stripe": _("Card"), "paypal": "PayPal", "bank": _("Bank transfer")}
# The same inside a sentence ("Paid on 3 May by card."), as the PDF prints them.
PAYMENT_METHODS_IN_SENTENCE = {"stripe": _("card"), "paypal": "PayPal", "bank": _("bank transfer")}


def payment_method_label(code: str) -> str:
    return str(PAYMENT_METHODS.get(code, code))
