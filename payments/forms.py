import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.forms import PlainDecimalField
from core.money import minor_digits, money_display, to_minor_unit
from payments.bank.accounts import bic_clean, holder_clean, iban_clean
from payments.errors import PayoutError
from payments.models import Method
from payments.services.payouts import payout_amount

FORM_INCOMPLETE = _("The form is incomplete; reload the page and try again.")


def _amount_attrs(field, currency: str) -> None:
    places = minor_digits(currency)
    field.widget.attrs.update(
        {
            "min": "0",
            "step": "1" if not places else f"0.{'0' * (places - 1)}1",
            "inputmode": "decimal",
        }
    )


class AddFundsForm(forms.Form):
    """Net amount and method. The service prices it (VAT) and checks the limits."""

    amount = PlainDecimalField(label=_("Amount to add"), max_digits=14)
    method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    currency = forms.CharField(widget=forms.HiddenInput, max_length=3)
    form_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, currency: str, methods: list[str], minimum, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        initial.setdefault("form_key", uuid.uuid4())
        initial.setdefault("currency", currency)
        if methods:
            initial.setdefault("method", methods[0])
        super().__init__(data, initial=initial, **kwargs)
        self.fields["method"].choices = [(m, Method(m).label) for m in methods]
        _amount_attrs(self.fields["amount"], currency)
        self.fields["amount"].help_text = _(
            "Credited to your sales credit; VAT is added as shown. At least %(minimum)s."
        ) % {"minimum": money_display(minimum, currency)}
        for name in ("form_key", "currency"):
            self.fields[name].error_messages["required"] = FORM_INCOMPLETE
            self.fields[name].error_messages["invalid"] = FORM_INCOMPLETE


def offered_amounts(currency: str) -> list[str]:
    return list(settings.TOPUP_AMOUNTS.get(currency, []))


class RefundForm(forms.Form):
    amount = PlainDecimalField(label=_("Amount to refund (gross)"), max_digits=14)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, currency: str, refundable, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        initial.setdefault("key", uuid.uuid4())
        initial.setdefault("amount", refundable)
        super().__init__(data, initial=initial, **kwargs)
        _amount_attrs(self.fields["amount"], currency)
        self.fields["amount"].help_text = _("At most %(refundable)s.") % {
            "refundable": money_display(refundable, currency)
        }
        self.fields["key"].error_messages["required"] = FORM_INCOMPLETE
        self.fields["key"].error_messages["invalid"] = FORM_INCOMPLETE


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement"),
        help_text=_("CAMT.053 (XML) or CSV, as your bank exports it."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.STATEMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large: at most %(limit)s MB.")
                % {"limit": settings.STATEMENT_MAX_BYTES // (1024 * 1024)}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class LineAssignForm(forms.Form):
    reference = forms.CharField(
        label=_("Top-up reference"),
        max_length=40,
        help_text=_("The RF reference of the bank-transfer top-up this money pays."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class LineDismissForm(forms.Form):
    note = forms.CharField(
        label=_("Why this is not a top-up"),
        max_length=300,
        help_text=_("For example: returned to the payer."),
    )


class PayoutRequestForm(forms.Form):
    """Amount and bank account. Each field is checked here (all errors at once); the service
    checks everything again before anything moves."""

    amount = PlainDecimalField(label=_("Amount to pay out"), max_digits=14)
    holder = forms.CharField(label=_("Account holder"), max_length=200)
    iban = forms.CharField(label="IBAN", max_length=64)
    bic = forms.CharField(
        label=_("BIC (optional)"),
        max_length=32,
        required=False,
        help_text=_("Needed only if your bank asks for it."),
    )
    form_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, currency: str, minimum, available, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        initial.setdefault("form_key", uuid.uuid4())
        super().__init__(data, initial=initial, **kwargs)
        self.currency, self.minimum, self.available = currency, minimum, available
        _amount_attrs(self.fields["amount"], currency)
        self.fields["amount"].help_text = _("At least %(minimum)s, at most %(available)s.") % {
            "minimum": money_display(minimum, currency),
            "available": money_display(available, currency),
        }
        self.fields["holder"].help_text = _("As your bank writes it, at most 70 characters.")
        self.fields["holder"].widget.attrs["autocomplete"] = "name"
        self.fields["iban"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "class": "font-monospace"}
        )
        self.fields["bic"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["form_key"].error_messages["required"] = FORM_INCOMPLETE
        self.fields["form_key"].error_messages["invalid"] = FORM_INCOMPLETE

    @staticmethod
    def _checked(check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except PayoutError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None

    def clean_amount(self):
        return self._checked(
            payout_amount,
            self.cleaned_data["amount"],
            currency=self.currency,
            available=self.available,
        )

    def clean_holder(self):
        return self._checked(holder_clean, self.cleaned_data["holder"])

    def clean_iban(self):
        return self._checked(iban_clean, self.cleaned_data["iban"])

    def clean(self):
        data = super().clean()
        if "bic" in data:
            try:
                data["bic"] = bic_clean(data["bic"], iban=data.get("iban", ""))
            except PayoutError as exc:
                self.add_error("bic", str(exc))
        return data


class PayoutRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("The reseller reads it; the amount goes back to its commission credit."),
    )


class CustomerTopUpForm(forms.Form):
    """An end customer's top-up: one of the offered amounts (the service checks it) and the
    form's one-time key (the same form sent twice opens one payment)."""

    amount = PlainDecimalField(label=_("Amount"), max_digits=14)
    form_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, amounts, currency: str, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        initial.setdefault("form_key", uuid.uuid4())
        super().__init__(data, initial=initial, **kwargs)
        self.amounts = [
            (str(to_minor_unit(a, currency)), money_display(a, currency)) for a in amounts
        ]
        self.fields["amount"].error_messages["required"] = _("Choose an amount.")
        self.fields["form_key"].error_messages["required"] = FORM_INCOMPLETE
        self.fields["form_key"].error_messages["invalid"] = FORM_INCOMPLETE

    def chosen(self) -> str:
        """The amount chosen, as its radio button's value ("" for none)."""
        value = self.data.get("amount", "") if self.is_bound else ""
        for key, _label in self.amounts:
            try:
                if value and Decimal(value) == Decimal(key):
                    return key
            except ArithmeticError:
                return ""
        return ""


MERCHANT_ID = RegexValidator(
    r"^[A-Za-z0-9]{13}$",
    _(
        "A PayPal merchant ID is 13 letters and digits (PayPal: Account settings, Business "
        "information)."
    ),
)


class ResellerPaypalForm(forms.Form):
    """The reseller's own PayPal account its customers pay into."""

    receiver_email = forms.EmailField(
        label=_("PayPal e-mail address"),
        help_text=_("The e-mail address of your PayPal business account."),
    )
    merchant_id = forms.CharField(
        label=_("PayPal merchant ID"), max_length=13, min_length=13, validators=[MERCHANT_ID]
    )
    enabled = forms.BooleanField(label=_("Customers may top up with PayPal"), required=False)

    def clean_merchant_id(self):
        return self.cleaned_data["merchant_id"].strip().upper()

    def clean_receiver_email(self):
        return self.cleaned_data["receiver_email"].strip().lower()
