"""Company identifiers checked with python-stdnum (format and checksum) for the chosen country.

Each cleaner returns the compact form to store, or raises ValidationError saying what is wrong.
"""

from __future__ import annotations

import stdnum
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)

from tax.treatment import EU_COUNTRIES

# National tax numbers per country, first match wins; other countries use their `tin` module.
TAX_ID_MODULES: dict[str, tuple[str, ...]] = {
    "PL": ("nip",),
    "DE": ("stnr", "idnr"),
    "FR": ("siren", "siret", "nif"),
    "ES": ("nif", "cif", "nie"),
    "IT": ("codicefiscale", "iva"),
    "AT": ("tin",),
    "NL": ("bsn", "btw"),
    "BE": ("vat",),
}


def _problem(exc: StdnumError | None) -> str:
    """What is wrong with an identifier, as a key of the messages below."""
    if isinstance(exc, InvalidChecksum):
        return "checksum"
    if isinstance(exc, InvalidLength):
        return "length"
    if isinstance(exc, InvalidFormat):
        return "format"
    if isinstance(exc, InvalidComponent):
        return "component"
    return "other"


# One whole sentence per problem, so every language can word it its own way.
VAT_ID_INVALID = {
    "checksum": _("%(value)s is not a valid VAT ID: the check digit is wrong (a typing mistake?)."),
    "length": _("%(value)s is not a valid VAT ID: it has the wrong number of characters."),
    "format": _("%(value)s is not a valid VAT ID: it has the wrong format."),
    "component": _("%(value)s is not a valid VAT ID: a part of it is not possible."),
    "other": _("%(value)s is not a valid VAT ID."),
}
# %(label)s is the number's name in its country (NIP, SIREN, STNR), %(country)s the country's
# name.
TAX_ID_INVALID = {
    "checksum": _(
        "%(value)s is not a valid %(label)s (%(country)s): the check digit is wrong "
        "(a typing mistake?)."
    ),
    "length": _(
        "%(value)s is not a valid %(label)s (%(country)s): it has the wrong number of characters."
    ),
    "format": _("%(value)s is not a valid %(label)s (%(country)s): it has the wrong format."),
    "component": _(
        "%(value)s is not a valid %(label)s (%(country)s): a part of it is not possible."
    ),
    "other": _("%(value)s is not a valid %(label)s (%(country)s)."),
}


def _vat_id_invalid(text: str, exc: StdnumError) -> ValidationError:
    return ValidationError(VAT_ID_INVALID[_problem(exc)] % {"value": text}, code="vat_invalid")


def vat_prefix(country: str) -> str:
    """The VAT ID prefix of a country: ISO code, except Greece (EL)."""
    return "EL" if country.upper() == "GR" else country.upper()


def vat_id_clean(raw: str, *, country: str) -> str:
    """`DE 136 695 976` → `DE136695976` for a German company; errors say what is wrong."""
    country = country.upper()
    text = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    if not text:
        return ""
    if country in EU_COUNTRIES:
        prefix = vat_prefix(country)
        if text[:2].isdigit():
            text = prefix + text
        if text[:2] != prefix:
            raise ValidationError(
                _("A VAT ID of a company in the country %(country)s starts with %(prefix)s.")
                % {"country": countries.name(country), "prefix": prefix},
                code="vat_country",
            )
        try:
            return eu_vat.validate(text)
        except StdnumError as exc:
            raise _vat_id_invalid(text, exc) from exc
    module = stdnum.get_cc_module(country.lower(), "vat")
    if module is None:
        return text
    try:
        return module.compact(module.validate(text))
    except StdnumError as exc:
        raise _vat_id_invalid(text, exc) from exc


def tax_id_clean(raw: str, *, country: str) -> str:
    """A national tax number (e.g. Polish NIP, German Steuernummer) in its compact form."""
    text = (raw or "").strip()
    if not text:
        return ""
    country = country.upper()
    names = TAX_ID_MODULES.get(country, ("tin",))
    modules = [m for m in (stdnum.get_cc_module(country.lower(), n) for n in names) if m]
    if not modules:
        if len(text) > 30 or not all(ch.isalnum() or ch in " -./" for ch in text):
            raise ValidationError(_("Use letters, digits, spaces and - . / only."), code="tax_id")
        return text
    first_error: StdnumError | None = None
    for module in modules:
        try:
            return module.compact(module.validate(text))
        except StdnumError as exc:
            first_error = first_error or exc
    label = modules[0].__name__.rsplit(".", 1)[-1].upper()
    raise ValidationError(
        TAX_ID_INVALID[_problem(first_error)]
        % {"value": text, "label": label, "country": countries.name(country) or country},
        code="tax_id_invalid",
    )
