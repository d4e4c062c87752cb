"""core.forms.PlainDecimalField: amounts as people type them, nothing the Decimal
constructor would also read."""

from decimal import Decimal

import pytest
from django import forms

from core.forms import PlainDecimalField


class AmountForm(forms.Form):
    amount = PlainDecimalField(max_digits=14)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12.50", Decimal("12.50")),
        ("12,50", Decimal("12.50")),
        (" 7 ", Decimal("7")),
        ("-5", Decimal("-5")),
        ("0.01", Decimal("0.01")),
    ],
)
def test_plain_amounts_are_read(typed, value):
    form = AmountForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == value


@pytest.mark.parametrize(
    "typed",
    ["１０", "1e-2", "1E3", "٣", "Infinity", "NaN", "1_000", "1 000", "1.000,50", "+5", ".5", "5."],
)
def test_anything_else_is_refused_with_a_clear_message(typed):
    form = AmountForm({"amount": typed})
    assert not form.is_valid()
    assert form.errors["amount"] == [
        "Enter the amount with the digits 0–9 and at most one decimal point, for example 12.50."
    ]
