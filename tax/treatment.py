"""VAT treatment of a sale by the operator: one pure function, used by invoicing.

- customer in the operator's country: domestic VAT, always (even with a valid VAT ID);
- customer in another EU country with a VAT ID that VIES confirmed: reverse charge, 0 %;
- customer in another EU country without one: domestic VAT (the operator's rate);
- customer outside the EU: not taxable here, 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext_lazy

# ISO 3166 codes of the EU member states (Greece is GR here; its VAT IDs start with EL).
EU_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    }
)


class Treatment(StrEnum):
    DOMESTIC = "domestic"
    REVERSE_CHARGE = "reverse_charge"
    NOT_TAXABLE = "not_taxable"


TREATMENT_LABELS = {
    Treatment.DOMESTIC: gettext_lazy("Domestic VAT"),
    Treatment.REVERSE_CHARGE: gettext_lazy("Reverse charge"),
    Treatment.NOT_TAXABLE: gettext_lazy("Not taxable here"),
}


# The legal note an invoice (or proforma) prints, translated when it is shown.
NOTES = {
    Treatment.DOMESTIC: "",
    Treatment.REVERSE_CHARGE: gettext_lazy(
        "Reverse charge: VAT to be accounted for by the recipient, Art. 196 Directive 2006/112/EC."
    ),
    Treatment.NOT_TAXABLE: gettext_lazy(
        "Not taxable in the EU: place of supply outside the EU (Art. 44 Directive 2006/112/EC)."
    ),
}


def treatment_note(treatment: str) -> str:
    """The legal note of a treatment ("reverse_charge", ...) in the current language."""
    return str(NOTES.get(treatment, ""))


@dataclass(frozen=True)
class VatTreatment:
    treatment: Treatment
    rate: Decimal  # percent, e.g. Decimal("19.00")
    note: str  # the legal note an invoice prints; empty for domestic VAT

    @property
    def label(self) -> str:
        return str(TREATMENT_LABELS[self.treatment])


def vat_treatment(
    *,
    customer_country: str,
    vies_valid: bool,
    operator_country: str | None = None,
    operator_rate: Decimal | None = None,
) -> VatTreatment:
    """How the operator charges VAT to a customer (a reseller) in `customer_country`.

    `vies_valid`: the customer's VAT ID was confirmed by VIES. The operator's country and
    rate default to settings.OPERATOR.
    """
    operator_country = (operator_country or settings.OPERATOR["country"]).upper()
    rate = operator_rate if operator_rate is not None else settings.OPERATOR["vat_rate"]
    country = customer_country.upper()
    if country == operator_country:
        return VatTreatment(Treatment.DOMESTIC, Decimal(rate), "")
    if country in EU_COUNTRIES:
        if vies_valid:
            return VatTreatment(
                Treatment.REVERSE_CHARGE, Decimal("0.00"), treatment_note(Treatment.REVERSE_CHARGE)
            )
        return VatTreatment(Treatment.DOMESTIC, Decimal(rate), "")
    return VatTreatment(
        Treatment.NOT_TAXABLE, Decimal("0.00"), treatment_note(Treatment.NOT_TAXABLE)
    )
