import uuid

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.forms import PlainDecimalField
from core.money import minor_digits, money_display
from payments.models import Method

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
