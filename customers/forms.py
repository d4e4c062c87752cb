from __future__ import annotations

from decimal import Decimal

from allauth.account import app_settings as allauth_settings
from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.money import money_display
from core.phones import InvalidPhoneNumber, phone_normalise
from customers.adapters import SENT_FROM_RESELLER_HOST

# --- Sign-in ----------------------------------------------------------------------------------


class PhoneOrEmailLoginForm(LoginForm):
    """allauth's login form, whose login field also takes an end customer's mobile number.

    An entry with "@" is an e-mail address (staff and resellers, as before); anything else
    is read as a mobile number and authenticated by customers.backends.PhoneBackend.
    Customers have no e-mail address to verify, so verification is not asked of them.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.CharField(
            label=_("E-mail or mobile number"),
            widget=forms.TextInput(
                attrs={"autocomplete": "username", "placeholder": _("E-mail or mobile number")}
            ),
        )
        self.order_fields(["login", "password", "remember"])

    @property
    def for_customers(self) -> bool:
        """The page is a customers' sign-in (a reseller's own hostname, or the way into the
        customer portal): no sign-up and no reseller application on it."""
        request = self.request
        if request is None:
            return False
        if getattr(request, "host_reseller", None) is not None:
            return True
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        return next_url.startswith(reverse("customers:portal"))

    @property
    def sent_from_reseller_host(self) -> bool:
        """Whether the person was sent here from a reseller's hostname they cannot use."""
        return self.request is not None and SENT_FROM_RESELLER_HOST in self.request.GET

    def _is_phone(self) -> bool:
        return "@" not in self.cleaned_data.get("login", "")

    def clean_login(self) -> str:
        login = self.cleaned_data["login"].strip()
        if "@" in login:
            return forms.EmailField().clean(login)
        return login

    def user_credentials(self) -> dict:
        if not self._is_phone():
            return super().user_credentials()
        return {"phone": self.cleaned_data["login"], "password": self.cleaned_data["password"]}

    def _clean_with_password(self, credentials: dict):
        if "phone" not in credentials:
            return super()._clean_with_password(credentials)
        try:
            phone_normalise(credentials["phone"])
        except InvalidPhoneNumber as exc:
            raise ValidationError(str(exc)) from exc
        try:
            cleaned = super()._clean_with_password(credentials)
        except ValidationError as exc:
            if exc.code == "too_many_login_attempts":
                raise
            raise ValidationError(
                _("The mobile number and/or password you specified are not correct.")
            ) from exc
        self._login.email_verification = allauth_settings.EmailVerificationMethod.NONE
        return cleaned


# --- Recharge ---------------------------------------------------------------------------------

_SIGNER_SALT = "customers.recharge"
KEY_MAX_AGE = 60 * 60 * 6  # a recharge form is good for six hours


def recharge_key_sign(key: str, *, reseller_id: int, user_id: int) -> str:
    """The signed key a recharge form carries: bound to the reseller and the member who
    opened the form, so nobody else can send it (and see or repeat that sale)."""
    return TimestampSigner(salt=_SIGNER_SALT).sign(f"{reseller_id}:{user_id}:{key}")


def recharge_key_check(signed: str, *, reseller_id: int, user_id: int) -> str:
    """The idempotency key carried by a recharge form; ValidationError if it was altered,
    is too old, or was opened by another member or for another reseller."""
    try:
        value = TimestampSigner(salt=_SIGNER_SALT).unsign(signed, max_age=KEY_MAX_AGE)
    except SignatureExpired as exc:
        raise ValidationError(_("This form is too old; please start again.")) from exc
    except BadSignature as exc:
        raise ValidationError(_("This form was altered; please start again.")) from exc
    owner_reseller, owner_user, key = value.split(":", 2)
    if (owner_reseller, owner_user) != (str(reseller_id), str(user_id)):
        raise ValidationError(
            _("This form was opened by someone else or for another account; please start again.")
        )
    return key


class RechargeForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("For example +49 179 1234567, 0049 179 1234567 or 491791234567."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    amount = forms.TypedChoiceField(
        label=_("Amount"), choices=(), coerce=Decimal, widget=forms.RadioSelect
    )
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, reseller, user, amounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.reseller, self.user = reseller, user
        currency = str(reseller.currency)
        self.fields["amount"].choices = [(str(a), money_display(a, currency)) for a in amounts]
        self.fields["amount"].error_messages["invalid_choice"] = _(
            "Choose one of the amounts offered."
        )

    def clean_phone(self) -> str:
        try:
            return phone_normalise(
                self.cleaned_data["phone"], default_region=str(self.reseller.country) or None
            )
        except InvalidPhoneNumber as exc:
            raise ValidationError(str(exc)) from exc

    def clean_key(self) -> str:
        signed = self.cleaned_data["key"]
        self._key = recharge_key_check(signed, reseller_id=self.reseller.pk, user_id=self.user.pk)
        return signed

    @property
    def idempotency_key(self) -> str:
        return self._key


# --- Customer portal --------------------------------------------------------------------------


class PortalPasswordForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your current password is not correct."))
        return password

    def clean(self):
        cleaned = super().clean()
        new1, new2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if new1 and new2:
            if new1 != new2:
                self.add_error("new_password2", _("The two new passwords differ."))
            elif new1 == cleaned.get("old_password"):
                self.add_error("new_password1", _("Choose a password other than the one sent."))
            else:
                try:
                    password_validation.validate_password(new1, self.user)
                except ValidationError as exc:
                    self.add_error("new_password1", exc)
        return cleaned


class PortalProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
