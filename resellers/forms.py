from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown to the reseller's users and kept in the audit log."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. unpaid invoices")}),
    )


class ApplicationForm(forms.Form):
    """The public reseller application. Identifiers, phone, e-mail uniqueness and the terms
    are checked by `reseller_apply`, whose errors the view puts on these fields."""

    legal_name = forms.CharField(label=_("Company legal name"), max_length=200)
    name = forms.CharField(
        label=_("Display name"),
        max_length=120,
        required=False,
        help_text=_("How your customers know you; the legal name when empty."),
    )
    country = forms.ChoiceField(label=_("Country"), choices=[])
    address_line = forms.CharField(label=_("Street and number"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    vat_id = forms.CharField(
        label=_("VAT ID"),
        max_length=30,
        required=False,
        help_text=_("EU companies: checked with the EU VIES service, e.g. DE123456789."),
    )
    tax_id = forms.CharField(
        label=_("National tax ID"),
        max_length=30,
        required=False,
        help_text=_("e.g. Polish NIP or German Steuernummer. A VAT ID, a tax ID or both."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30)
    email = forms.EmailField(
        label=_("E-mail"), help_text=_("You sign in with this address; we write to it.")
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    contact_person = forms.CharField(label=_("Contact person"), max_length=120)
    currency = forms.ChoiceField(label=_("Currency"), choices=[])
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput, strip=False
    )
    accept_terms = forms.BooleanField(
        label=_("I have read and accept the reseller terms."),
        error_messages={"required": _("You must accept the reseller terms to apply.")},
    )
    terms_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # Service error keys that are named differently here.
    FIELD_OF = {"password": "password1", "contact_email": "email", "contact_phone": "phone"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *countries]
        self.fields["currency"].choices = [(c, c) for c in settings.CURRENCIES]

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = self.FIELD_OF.get(key, key)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class VatIdForm(forms.Form):
    vat_id = forms.CharField(label=_("VAT ID"), max_length=30, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Sent to the applicant by e-mail and kept in the audit log."),
        error_messages={"required": _("Give a reason for the rejection.")},
    )


class TermsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))
