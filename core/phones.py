"""Phone numbers: one way to read them, one table from a number's country to a language."""

from __future__ import annotations

import functools

import phonenumbers
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

# The languages the portal speaks, and the language of each country whose number says it.
LANGUAGES = ("en", "de", "fr", "pl")
DEFAULT_LANGUAGE = "en"
LANGUAGE_BY_REGION = {
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "LI": "de",
    "FR": "fr",
    "BE": "fr",
    "LU": "fr",
    "MC": "fr",
    "PL": "pl",
}


class InvalidPhoneNumber(DomainError):
    code = "invalid-phone"
    field = "phone"


_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: _(
        "This is not a valid number: the country code is missing or unknown "
        "(start with + or 00 and the country code)."
    ),
    phonenumbers.NumberParseException.NOT_A_NUMBER: _(
        "This is not a valid number: it is not a phone number."
    ),
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _(
        "This is not a valid number: it is too short."
    ),
    phonenumbers.NumberParseException.TOO_SHORT_NSN: _(
        "This is not a valid number: it is too short."
    ),
    phonenumbers.NumberParseException.TOO_LONG: _("This is not a valid number: it is too long."),
}


@functools.lru_cache(maxsize=4096)  # a pure function; a recharge parses its number 3 times
def phone_normalise(raw: str, *, default_region: str | None = None, mobile: bool = True) -> str:
    """`491791234567`, `+49 179 1234567` or `0049 179 1234567` → `+491791234567` (E.164).

    A number starting with `+` or `00` carries its country code. Digits without a leading
    `0` are read as international without the `+` (`491791234567`) and, if that is no
    mobile number, as a national number of `default_region` (Polish numbers have no trunk
    `0`: `512 345 678`). A number with one leading `0` is national and needs
    `default_region` (the reseller's country). With `mobile=False` (a company's phone on an
    application) a landline is accepted too.
    """
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        raise InvalidPhoneNumber(_("Enter a mobile number: it has no digits."))
    if text.startswith("00"):
        return _checked("+" + digits[2:], None, mobile)
    if text.startswith("+"):
        return _checked(text, None, mobile)
    if digits.startswith("0"):
        if default_region is None:
            raise InvalidPhoneNumber(
                _("Enter the number with its country code, e.g. +49 179 1234567.")
            )
        return _checked(text, default_region, mobile)
    try:
        return _checked("+" + digits, None, mobile)
    except InvalidPhoneNumber:
        if default_region is None:
            raise
        try:
            return _checked(digits, default_region, mobile)
        except InvalidPhoneNumber:
            pass
        raise


def _checked(text: str, region: str | None, mobile: bool) -> str:
    """The E.164 form of a valid (mobile, unless `mobile` is false) number, or
    InvalidPhoneNumber saying why not."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, _("This is not a valid number."))
        raise InvalidPhoneNumber(reason) from exc
    if not phonenumbers.is_valid_number(number):
        if not phonenumbers.is_possible_number(number):
            raise InvalidPhoneNumber(
                _("This is not a valid number: it has the wrong length for its country.")
            )
        raise InvalidPhoneNumber(_("This is not a valid number for its country."))
    kind = phonenumbers.number_type(number)
    if mobile and kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhoneNumber(_("This is not a mobile number: SMS cannot reach it."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def language_for_phone(phone: str) -> str:
    """The language of a number's country (DE/AT/CH/LI → de, FR/BE/LU/MC → fr, PL → pl),
    English for every other country and for text that is not a number."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return DEFAULT_LANGUAGE
    return LANGUAGE_BY_REGION.get(region or "", DEFAULT_LANGUAGE)
