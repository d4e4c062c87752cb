"""The quote: VAT by the reseller's treatment, gross = net + VAT, limits, currency."""

from decimal import Decimal

import pytest

from payments.errors import PaymentError
from payments.services.topups import topup_quote
from tests.factories import ResellerFactory
from tests.payments.helpers import german_reseller, polish_vies_reseller, vies_confirm

pytestmark = pytest.mark.django_db


def test_german_company_pays_19_percent():
    quote = topup_quote(reseller=german_reseller(), net="100.00")
    assert (quote.net, quote.vat, quote.gross) == (
        Decimal("100.00"),
        Decimal("19.00"),
        Decimal("119.00"),
    )
    assert quote.treatment == "domestic" and quote.note == ""


def test_german_company_with_valid_vat_id_still_pays_german_vat():
    reseller = german_reseller()
    vies_confirm(reseller, "DE129273398")
    assert topup_quote(reseller=reseller, net="100").vat == Decimal("19.00")


def test_vies_valid_polish_company_is_reverse_charged():
    quote = topup_quote(reseller=polish_vies_reseller(), net="250.00")
    assert (quote.vat, quote.gross, quote.treatment) == (
        Decimal("0.00"),
        Decimal("250.00"),
        "reverse_charge",
    )
    assert "Art. 196" in quote.note


def test_austrian_company_without_vies_pays_domestic_vat():
    quote = topup_quote(reseller=ResellerFactory(country="AT"), net="50")
    assert quote.vat == Decimal("9.50")


def test_us_company_is_not_taxable():
    quote = topup_quote(reseller=ResellerFactory(country="US", currency="USD"), net="100")
    assert (quote.vat, quote.gross, quote.treatment) == (
        Decimal("0.00"),
        Decimal("100"),
        "not_taxable",
    )


def test_vat_is_rounded_half_up_to_the_cent():
    # 19 % of 20.50 = 3.895 → 3.90 (half-up), gross 24.40
    quote = topup_quote(reseller=german_reseller(), net="20.50")
    assert (quote.vat, quote.gross) == (Decimal("3.90"), Decimal("24.40"))


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("19.99", "amount-below-minimum"),
        ("50000.01", "amount-above-maximum"),
        ("20.001", "amount-invalid"),
        ("abc", "amount-invalid"),
        ("NaN", "amount-invalid"),
        ("Infinity", "amount-invalid"),
        ("-50", "amount-below-minimum"),
    ],
)
def test_amounts_outside_the_limits_are_refused(amount, code):
    with pytest.raises(PaymentError) as refused:
        topup_quote(reseller=german_reseller(), net=amount)
    assert refused.value.code == code
    assert str(refused.value)  # a sentence, with the limit filled in


def test_minimum_is_per_currency(settings):
    reseller = ResellerFactory(country="PL", currency="PLN")
    with pytest.raises(PaymentError) as refused:
        topup_quote(reseller=reseller, net="99")
    assert "100" in str(refused.value)
    assert topup_quote(reseller=reseller, net="100").net == Decimal("100")
