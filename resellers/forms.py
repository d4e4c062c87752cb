import uuid

from django import forms
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField, LazyTypedChoiceField

from core.forms import IsoDateInput, PlainDecimalField
from resellers.commission import commission_rate_cap, commission_today
from resellers.models import MAX_SUBRESELLER_DEPTH, AdvertisingRequest
from resellers.services.commission import MAX_TIERS
from resellers.services.subresellers import CreditAmountError, credit_amount_check


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
        help_text=_("EU companies: checked with the EU VIES service, e.g. DE136695976."),
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
    # The service's names of fields this form names otherwise (core.errors.show_error).
    service_fields = {"password": "password1", "contact_email": "email", "contact_phone": "phone"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *countries]
        self.fields["currency"].choices = [(c, c) for c in settings.CURRENCIES]

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        return data


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


class _AmountForm(forms.Form):
    """An amount checked for the reseller's currency, and the idempotency key of this form
    (a new one each time the form is shown, so a double submit posts once)."""

    allow_negative = False

    amount = PlainDecimalField(label=_("Amount"), max_digits=14)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, **kwargs):
        self.currency = currency
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": currency}

    def clean(self):
        data = super().clean()
        if self.errors.pop("idempotency_key", None):
            self.add_error(None, _("This form is out of date: reload the page and enter it again."))
        return data

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        try:
            return credit_amount_check(
                amount=amount, currency=self.currency, allow_negative=self.allow_negative
            )
        except CreditAmountError as exc:
            raise forms.ValidationError(str(exc)) from None


class CreditTransferForm(_AmountForm):
    allow_negative = True

    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        help_text=_("Shown in your history and the sub-reseller's."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _(
            "A negative amount (e.g. -20) takes credits back from the sub-reseller."
        )
        self.order_fields(["amount", "note", "idempotency_key"])


class StaffCreditForm(_AmountForm):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            ("credit", _("Credit (e.g. a bank transfer arrived)")),
            ("debit", _("Debit (take sales credit back)")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, help_text=_("Kept in the ledger and the audit log.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["direction", "amount", "reason", "idempotency_key"])


class SubresellerPolicyForm(forms.Form):
    may_create_subresellers = forms.BooleanField(
        label=_("May create sub-resellers"), required=False
    )
    subreseller_depth_limit = forms.IntegerField(
        label=_("Depth limit"),
        min_value=1,
        max_value=MAX_SUBRESELLER_DEPTH,
        help_text=_("Levels of sub-resellers allowed below the top-level reseller."),
    )


class SubresellerCreateForm(forms.Form):
    name = forms.CharField(label=_("Display name"), max_length=120)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    country = LazyTypedChoiceField(label=_("Country"), choices=countries)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    commission_rate = PlainDecimalField(
        label=_("Commission rate (%)"), min_value=0, max_digits=5, decimal_places=2
    )
    may_create_subresellers = forms.BooleanField(
        label=_("May create its own sub-resellers"), required=False
    )

    def __init__(self, *args, parent, allowance, **kwargs):
        self.parent = parent
        # The parent's own rate in force today (its plan's base rate): the child's plan
        # starts today.
        self.cap = commission_rate_cap(reseller=parent, on=commission_today())
        kwargs.setdefault("initial", {}).setdefault("country", parent.country.code)
        super().__init__(*args, **kwargs)
        self.fields["commission_rate"].help_text = _("At most your own rate, %(rate)s %%.") % {
            "rate": floatformat(self.cap, "-2")
        }
        if not allowance.child_may_have_children:
            del self.fields["may_create_subresellers"]

    def clean_commission_rate(self):
        rate = self.cleaned_data["commission_rate"]
        if rate > self.cap:
            raise forms.ValidationError(
                _("A sub-reseller earns at most your own rate, %(rate)s %%.")
                % {"rate": floatformat(self.cap, "-2")}
            )
        return rate


class CommissionPlanForm(forms.Form):
    """A commission plan: the rate, up to MAX_TIERS tiers ("monthly sales from" and its rate;
    the rows left empty are no tier), the first day and a note. The service checks the
    rest (order of the tiers, the day, a parent's cap) and shows its errors here."""

    dated = True  # the approval's plan starts today: no day to choose

    rate = PlainDecimalField(
        label=_("Commission rate (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text=_("Earned on every sale; a tier below replaces it from that month's sales on."),
    )
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=IsoDateInput(),
        help_text=_("Today or later. A plan in force is never changed: set a new one."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    # The service's "tiers" errors belong to the form as a whole (shown above the rows).
    service_fields = {"tiers": None}

    def __init__(self, *args, cap=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("effective_from", commission_today())
        super().__init__(*args, **kwargs)
        self.cap = cap
        for n in range(1, MAX_TIERS + 1):
            self.fields[f"tier_from_{n}"] = PlainDecimalField(
                label=_("Tier %(n)s: monthly sales from") % {"n": n},
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
            )
            self.fields[f"tier_rate_{n}"] = PlainDecimalField(
                label=_("Tier %(n)s: rate (%%)") % {"n": n},
                required=False,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
            )
        if not self.dated:
            del self.fields["effective_from"]
        if cap is not None:
            self.fields["rate"].help_text = _(
                "At most your own rate on that day, %(rate)s %% (every tier too)."
            ) % {"rate": floatformat(cap, "-2")}
        self.order_fields(["rate", *self.tier_names(), "effective_from", "note"])

    @staticmethod
    def tier_names() -> list[str]:
        return [f"tier_{part}_{n}" for n in range(1, MAX_TIERS + 1) for part in ("from", "rate")]

    def main_fields(self):
        return [self[name] for name in ("rate", "effective_from", "note") if name in self.fields]

    def tier_rows(self):
        return [(self[f"tier_from_{n}"], self[f"tier_rate_{n}"]) for n in range(1, MAX_TIERS + 1)]

    def clean(self):
        data = super().clean()
        tiers = []
        for n in range(1, MAX_TIERS + 1):
            threshold, rate = data.get(f"tier_from_{n}"), data.get(f"tier_rate_{n}")
            if threshold is None and rate is None:
                continue
            if threshold is None or rate is None:
                if f"tier_from_{n}" not in self.errors and f"tier_rate_{n}" not in self.errors:
                    self.add_error(
                        f"tier_rate_{n}" if rate is None else f"tier_from_{n}",
                        _("Fill in both the monthly sales and the rate of a tier, or neither."),
                    )
                continue
            tiers.append((threshold, rate))
        data["tiers"] = tiers
        return data

    def plan(self) -> dict:
        """The service's arguments from the cleaned form."""
        data = self.cleaned_data
        plan = {"rate": data["rate"], "tiers": data["tiers"], "note": data.get("note", "")}
        if self.dated:
            plan["effective_from"] = data["effective_from"]
        return plan


class ApprovalForm(CommissionPlanForm):
    """Approving an application: its commission plan, which starts today ("Approve anyway",
    for an application with warnings, is a checkbox the view reads, as before)."""

    dated = False


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
        # The page offers the next steps only; a posted status is judged by the service,
        # which says why a step is not allowed.
        nexts = advertising_request.next_statuses if advertising_request else ()
        shown = nexts if nexts and not self.is_bound else AdvertisingRequest.Status
        self.fields["status"].choices = [(s, AdvertisingRequest.Status(s).label) for s in shown]
