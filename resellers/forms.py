from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Shown to the reseller's users and kept in the audit log."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. unpaid invoices")}),
    )


# --- Branding and hostname --------------------------------------------------------------------


class ColourInput(forms.TextInput):
    input_type = "color"

    def __init__(self, attrs=None):
        super().__init__({"class": "form-control-color", **(attrs or {})})


class BrandingForm(forms.Form):
    """Checks shapes only; resellers.services.branding_update validates the values."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_("Shown in the header of your portal and as the sender of SMS messages."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 512 KB and 1024×1024 pixels."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)
    header_colour = forms.CharField(label=_("Header colour"), widget=ColourInput)
    background_colour = forms.CharField(label=_("Background colour"), widget=ColourInput)
    text_colour = forms.CharField(label=_("Text colour"), widget=ColourInput)


class HostnameForm(forms.Form):
    hostname = forms.CharField(
        label=_("Host name"),
        max_length=260,
        widget=forms.TextInput(attrs={"placeholder": "portal.example.com", "spellcheck": "false"}),
    )


# --- Advertising material ---------------------------------------------------------------------


class AdvertisingRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Material"))
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=5000,
        help_text=_("Leaflets: 25 to 5,000. Posters: 1 to 100."),
    )
    recipient = forms.CharField(label=_("Recipient"), max_length=120)
    address_line = forms.CharField(label=_("Street and number"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = CountryField().formfield(label=_("Country"))
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything the operator should know, e.g. a language or a delivery time."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from resellers.models import AdvertisingRequest

        self.fields["kind"].choices = AdvertisingRequest.Kind.choices


class AdvertisingStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(  # its length is checked by the service, which says so
        label=_("Note for the reseller"),
        required=False,
        help_text=_("Required when rejecting; e.g. the tracking number when shipping."),
    )

    def __init__(self, *args, advertising_request=None, **kwargs):
        super().__init__(*args, **kwargs)
        from resellers.models import AdvertisingRequest

        # The page offers the next steps only; a posted status is judged by the service,
        # which says why a step is not allowed.
        nexts = advertising_request.next_statuses if advertising_request else ()
        shown = nexts if nexts and not self.is_bound else AdvertisingRequest.Status
        self.fields["status"].choices = [(s, AdvertisingRequest.Status(s).label) for s in shown]
