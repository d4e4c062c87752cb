"""The domain-error contract: one type, a code, a sentence translated when shown, a field."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy

from accounts.services import TeamError
from core.errors import CodedError, DomainError, error_payload, show_error
from resellers.services.lifecycle import ResellerStateError
from resellers.services.onboarding import ApplicationInvalid
from resellers.services.subresellers import CreditAmountError


class _Shown(DomainError):
    code = "shown"
    message = gettext_lazy("Balance")  # translated in every catalogue


class _Form(forms.Form):
    amount = forms.DecimalField()
    password1 = forms.CharField()

    service_fields = {"password": "password1"}


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_the_message_is_translated_when_shown_not_when_raised():
    with translation.override("en"):
        error = _Shown()
    with translation.override("de"):
        assert str(error) == "Guthaben"
    with translation.override("en"):
        assert str(error) == "Balance"


def test_a_coded_error_carries_its_own_sentence_and_field():
    error = CreditAmountError("decimals", currency="EUR")
    assert error.code == "decimals"
    assert error.field == "amount"
    assert str(error) == "EUR amounts have at most 2 decimal places."
    assert error_payload(error) == {
        "code": "decimals",
        "message": "EUR amounts have at most 2 decimal places.",
        "field": "amount",
    }


def test_an_unknown_code_shows_the_general_sentence_instead_of_failing():
    """The views' code->message tables raised KeyError (a 500) for a code they lacked."""
    error = ResellerStateError("a-code-nobody-mapped")
    assert str(error) == "The reseller is not in a state that allows this."
    assert TeamError("nobody-mapped-this").code == "nobody-mapped-this"
    assert isinstance(error, DomainError) and isinstance(error, CodedError)


def test_show_error_puts_it_on_its_field_or_on_the_form():
    form = _Form(data={})
    form.is_valid()
    show_error(_request(), CreditAmountError("zero", currency="EUR"), form)
    assert "Enter an amount other than zero." in form.errors["amount"]
    show_error(_request(), ResellerStateError("already-suspended"), form)
    assert "This reseller is already suspended." in form.non_field_errors()


def test_show_error_maps_service_field_names_to_the_forms():
    form = _Form(data={})
    form.is_valid()
    show_error(_request(), ApplicationInvalid({"password": ["Too short."]}), form)
    assert "Too short." in form.errors["password1"]


def test_show_error_without_a_form_is_a_message_per_sentence():
    request = _request()
    show_error(request, ApplicationInvalid({"vat_id": ["Bad check digit.", "Wrong country."]}))
    show_error(request, TeamError("last-admin"))
    shown = [str(m) for m in get_messages(request)]
    assert shown[:2] == ["Bad check digit.", "Wrong country."]
    assert shown[2].startswith("This is the last active Admin.")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (TeamError("self"), "self"),
        (ResellerStateError("no-vat-id"), "no-vat-id"),
        (CreditAmountError("too-large", currency="PLN"), "too-large"),
    ],
)
def test_every_sentence_is_a_sentence(error, code):
    assert error.code == code
    assert str(error) != code and str(error).endswith((".", ")"))
