"""A payee's bank account for a SEPA credit transfer: IBAN, BIC and holder, checked.

IBAN: python-stdnum's format and ISO 7064 checksum, and a country of the SEPA area (the list
below: the EEA, Switzerland, the United Kingdom and the microstates that take part). BIC:
python-stdnum's format; optional (SEPA transfers need only the IBAN since 2016), but when
given its country (letters 5-6) must be the IBAN's. Holder: at most 70 characters, the
limit of a creditor's name in pain.001.

Each check raises PayoutError with the field it belongs to; the form shows them all at once,
the service checks again before anything moves.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as NumberInvalid

from payments.errors import PayoutError

HOLDER_MAX = 70

# Countries whose IBANs take part in SEPA credit transfers (EPC list of SEPA countries and
# territories). French overseas departments, the Azores, Madeira and the Åland Islands use
# the IBAN of their mother country; Gibraltar (GI) and the microstates have their own.
SEPA_IBAN_COUNTRIES = frozenset(
    {
        # EU
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
        # EEA, Switzerland, United Kingdom
        "IS", "LI", "NO", "CH", "GB",
        # microstates and territories with IBANs of their own
        "AD", "GI", "MC", "SM", "VA",
    }
)  # fmt: skip
# Banks in Monaco may hold French BICs (and the other way round is not a thing).
BIC_COUNTRY_ALSO = {"MC": {"FR"}}


@dataclass(frozen=True)
class BankAccount:
    iban: str  # compact, upper case
    bic: str  # compact, upper case, or ""
    holder: str  # one line, stripped


def iban_clean(value: str) -> str:
    """The IBAN compact (no spaces, upper case), or PayoutError."""
    iban = stdnum_iban.compact(value or "")
    try:
        stdnum_iban.validate(iban)
    except NumberInvalid:
        raise PayoutError("iban-invalid") from None
    if iban[:2] not in SEPA_IBAN_COUNTRIES:
        raise PayoutError("iban-not-sepa", country=iban[:2])
    return iban


def bic_clean(value: str, *, iban: str = "") -> str:
    """The BIC compact, "" when none is given, or PayoutError (format; its country must be
    the IBAN's when the IBAN is known)."""
    bic = stdnum_bic.compact(value or "")
    if not bic:
        return ""
    try:
        stdnum_bic.validate(bic)
    except NumberInvalid:
        raise PayoutError("bic-invalid") from None
    if iban:
        country = iban[:2]
        if bic[4:6] != country and bic[4:6] not in BIC_COUNTRY_ALSO.get(country, ()):
            raise PayoutError("bic-wrong-country", bic_country=bic[4:6], iban_country=country)
    return bic


def holder_clean(value: str) -> str:
    holder = " ".join((value or "").split())
    if not holder:
        raise PayoutError("holder-missing")
    if len(holder) > HOLDER_MAX:
        raise PayoutError("holder-too-long", limit=HOLDER_MAX)
    return holder


def bank_account(*, iban: str, bic: str, holder: str) -> BankAccount:
    """All three checked, in the order a person reads the form; the first error raised."""
    holder = holder_clean(holder)
    iban = iban_clean(iban)
    return BankAccount(iban=iban, bic=bic_clean(bic, iban=iban), holder=holder)
