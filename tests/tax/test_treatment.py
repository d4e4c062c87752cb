"""The VAT treatment table: operator country, EU with/without a VIES-valid ID, outside the EU."""

from decimal import Decimal

import pytest

from tax.treatment import Treatment, VatTreatment, vat_treatment

R19 = Decimal("19.00")
ZERO = Decimal("0.00")

TABLE = [
    # customer country, vies valid, operator country, treatment, rate
    ("DE", False, "DE", Treatment.DOMESTIC, R19),
    ("DE", True, "DE", Treatment.DOMESTIC, R19),  # domestic always, even with a valid ID
    ("de", True, "DE", Treatment.DOMESTIC, R19),
    ("PL", True, "DE", Treatment.REVERSE_CHARGE, ZERO),
    ("FR", True, "DE", Treatment.REVERSE_CHARGE, ZERO),
    ("GR", True, "DE", Treatment.REVERSE_CHARGE, ZERO),
    ("PL", False, "DE", Treatment.DOMESTIC, R19),
    ("AT", False, "DE", Treatment.DOMESTIC, R19),
    ("CH", True, "DE", Treatment.NOT_TAXABLE, ZERO),
    ("US", False, "DE", Treatment.NOT_TAXABLE, ZERO),
    ("GB", True, "DE", Treatment.NOT_TAXABLE, ZERO),
    ("DE", True, "PL", Treatment.REVERSE_CHARGE, ZERO),
    ("PL", True, "PL", Treatment.DOMESTIC, R19),
]


@pytest.mark.parametrize(("country", "valid", "operator", "treatment", "rate"), TABLE)
def test_treatment_table(country, valid, operator, treatment, rate):
    result = vat_treatment(
        customer_country=country, vies_valid=valid, operator_country=operator, operator_rate=R19
    )
    assert result.treatment == treatment
    assert result.rate == rate
    assert isinstance(result.rate, Decimal)
    if treatment == Treatment.REVERSE_CHARGE:
        assert "Art. 196 Directive 2006/112/EC" in result.note
    elif treatment == Treatment.NOT_TAXABLE:
        assert "outside the EU" in result.note
    else:
        assert result.note == ""


def test_defaults_come_from_the_operator_setting(settings):
    settings.OPERATOR = {**settings.OPERATOR, "country": "AT", "vat_rate": Decimal("20.00")}
    assert vat_treatment(customer_country="AT", vies_valid=False) == VatTreatment(
        Treatment.DOMESTIC, Decimal("20.00"), ""
    )
    assert vat_treatment(customer_country="DE", vies_valid=True).treatment == (
        Treatment.REVERSE_CHARGE
    )


def test_result_is_frozen():
    result = vat_treatment(customer_country="DE", vies_valid=False)
    with pytest.raises(AttributeError):
        result.rate = Decimal(0)
