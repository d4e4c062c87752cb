"""core.forms.PlainDecimalField: amounts as people type them, nothing the Decimal
constructor would also read."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from core.forms import IsoDateInput, PlainDecimalField
from core.ui import day_filter


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


class RangeForm(forms.Form):
    day = forms.DateField(widget=IsoDateInput())


@pytest.mark.parametrize("language", ["en", "de", "fr", "pl"])
def test_a_date_field_carries_iso_in_every_language_and_takes_it_back(language):
    """`<input type="date">` shows nothing for "01.11.2026": its value is ISO in every
    language, the filters' day pickers (core.ui.day_filter) included."""
    with translation.override(language):
        shown = str(RangeForm(initial={"day": dt.date(2026, 11, 1)})["day"])
        assert 'type="date"' in shown and 'value="2026-11-01"' in shown
        filter_widget = day_filter("created_at").field.widget
        assert filter_widget.format_value(dt.date(2026, 11, 1)) == "2026-11-01"
        form = RangeForm({"day": "2026-11-01"})
        assert form.is_valid() and form.cleaned_data["day"] == dt.date(2026, 11, 1)
