"""Company identifiers checked with python-stdnum (format and checksum) for the chosen country.

Each cleaner returns the compact form to store, or raises ValidationError saying what is wrong.
"""

from __future__ import annotations

import stdnum
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
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


def _reason(exc: StdnumError) -> str:
    if isinstance(exc, InvalidChecksum):
        return _("the check digit is wrong (a typing mistake?)")
    if isinstance(exc, InvalidLength):
        return _("it has the wrong number of characters")
    if isinstance(exc, InvalidFormat):
        return _("it has the wrong format")
    if isinstance(exc, InvalidComponent):
        return _("a part of it is not possible")
    return _("it is not valid")


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
                _("A VAT ID of a company in %(country)s starts with %(prefix)s.")
                % {"country": country, "prefix": prefix},
                code="vat_country",
            )
        try:
            return eu_vat.validate(text)
        except StdnumError as exc:
            raise ValidationError(
                _("%(value)s is not a valid VAT ID: %(reason)s.")
                % {"value": text, "reason": _reason(exc)},
                code="vat_invalid",
            ) from exc
    module = stdnum.get_cc_module(country.lower(), "vat")
    if module is None:
        return text
    try:
        return module.compact(module.validate(text))
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid VAT ID: %(reason)s.")
            % {"value": text, "reason": _reason(exc)},
            code="vat_invalid",
        ) from exc


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
        _("%(value)s is not a valid %(country)s %(label)s: %(reason)s.")
        % {"value": text, "country": country, "label": label, "reason": _reason(first_error)},
        code="tax_id_invalid",
    )
